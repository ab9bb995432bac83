// Hyperparameters of GRPO training (DeepSeekMath, arXiv 2402.03300) with DAPO's clip-higher,
// dynamic sampling and token-level loss (arXiv 2503.14476). The objective these settings feed is
// defined in objective.ts; batch.ts applies the advantage and dynamic-sampling settings.

export interface GrpoConfig {
  /** Lower clip: ratios below 1 - epsLow stop pulling a negative-advantage token down. DAPO: 0.2. */
  epsLow: number;
  /** Upper clip (clip-higher): ratios above 1 + epsHigh stop pushing a positive token up. DAPO: 0.28. */
  epsHigh: number;
  /** Divide advantages by the group std. */
  scaleByStd: boolean;
  /** Added to the group std. */
  advEps: number;
  /** Dynamic sampling: drop groups whose rewards are all equal. */
  dropZeroVariance: boolean;
  /** Learning rate (paper: 5e-7, cosine schedule, for a 4B model). */
  lr: number;
  /** Global gradient-norm clip; 0 disables. */
  maxGradNorm: number;
  /** KL coefficient against a reference policy; the paper uses none. */
  klCoef: number;
}

export const DEFAULT_GRPO: Readonly<GrpoConfig> = Object.freeze({
  epsLow: 0.2,
  epsHigh: 0.28,
  scaleByStd: true,
  advEps: 1e-6,
  dropZeroVariance: true,
  lr: 5e-7,
  maxGradNorm: 1,
  klCoef: 0,
});

/** Merge a partial config over the defaults, rejecting values that make the loss meaningless. */
export function grpoConfig(partial: Partial<GrpoConfig> = {}): GrpoConfig {
  const cfg: GrpoConfig = { ...DEFAULT_GRPO, ...partial };
  if (!(cfg.epsLow >= 0 && cfg.epsLow < 1)) throw new RangeError(`grpo.epsLow must be in [0, 1), got ${cfg.epsLow}`);
  if (!(cfg.epsHigh >= 0)) throw new RangeError(`grpo.epsHigh must be >= 0, got ${cfg.epsHigh}`);
  if (!(cfg.lr >= 0)) throw new RangeError(`grpo.lr must be >= 0, got ${cfg.lr}`);
  return cfg;
}
