// Clipped GRPO surrogate (DeepSeekMath, arXiv 2402.03300) with clip-higher and token-level
// aggregation (DAPO, arXiv 2503.14476).
//
// Aggregation: the batch loss is the mean of the per-token losses over ALL tokens of the batch
// (DAPO's token-level mean), not a mean of per-sequence means, so long responses weigh in
// proportion to their length. Backends divide each token's gradient by the batch's token count.

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

export interface SurrogateTerm {
  /** -min(r A, clip(r, 1 - epsLow, 1 + epsHigh) A) with r = exp(logRatio). */
  loss: number;
  /** d loss / d (new log-prob): -r A on the unclipped branch, 0 where the clip is active. */
  dLossDLogp: number;
  /** The clip is active (the gradient was cut). */
  clipped: boolean;
}

/**
 * Per-token clipped surrogate. logRatio = new log-prob - behaviour log-prob. At a tie between the
 * two branches the unclipped gradient is used (the clip only binds strictly outside the range).
 */
export function clippedSurrogate(
  logRatio: number,
  advantage: number,
  epsLow: number = DEFAULT_GRPO.epsLow,
  epsHigh: number = DEFAULT_GRPO.epsHigh,
): SurrogateTerm {
  const r = Math.exp(logRatio);
  const clipped = (advantage > 0 && r > 1 + epsHigh) || (advantage < 0 && r < 1 - epsLow);
  if (clipped) {
    const rc = advantage > 0 ? 1 + epsHigh : 1 - epsLow;
    return { loss: -rc * advantage, dLossDLogp: 0, clipped: true };
  }
  return { loss: -r * advantage, dLossDLogp: -r * advantage, clipped: false };
}

export interface SurrogateBatch {
  /** Token-level mean loss over every token of the batch. */
  loss: number;
  /** Fraction of tokens with an active clip. */
  clipFrac: number;
  /** Per sequence, per token: d(batch loss)/d(new log-prob), already divided by the token count. */
  grads: Float64Array[];
}

/** Token-level aggregation of clippedSurrogate over sequences; each sequence has one advantage. */
export function surrogateBatch(
  sequences: readonly { logRatios: ArrayLike<number>; advantage: number }[],
  cfg: Pick<GrpoConfig, "epsLow" | "epsHigh"> = DEFAULT_GRPO,
): SurrogateBatch {
  let tokens = 0;
  for (const s of sequences) tokens += s.logRatios.length;
  const grads: Float64Array[] = [];
  if (tokens === 0) return { loss: 0, clipFrac: 0, grads: sequences.map(() => new Float64Array(0)) };
  let loss = 0;
  let clippedCount = 0;
  for (const s of sequences) {
    const g = new Float64Array(s.logRatios.length);
    for (let t = 0; t < g.length; t++) {
      const term = clippedSurrogate(s.logRatios[t]!, s.advantage, cfg.epsLow, cfg.epsHigh);
      loss += term.loss;
      if (term.clipped) clippedCount++;
      g[t] = term.dLossDLogp / tokens;
    }
    grads.push(g);
  }
  return { loss: loss / tokens, clipFrac: clippedCount / tokens, grads };
}

/** Merge a partial config over the defaults, rejecting values that make the loss meaningless. */
export function grpoConfig(partial: Partial<GrpoConfig> = {}): GrpoConfig {
  const cfg: GrpoConfig = { ...DEFAULT_GRPO, ...partial };
  if (!(cfg.epsLow >= 0 && cfg.epsLow < 1)) throw new RangeError(`grpo.epsLow must be in [0, 1), got ${cfg.epsLow}`);
  if (!(cfg.epsHigh >= 0)) throw new RangeError(`grpo.epsHigh must be >= 0, got ${cfg.epsHigh}`);
  if (!(cfg.lr >= 0)) throw new RangeError(`grpo.lr must be >= 0, got ${cfg.lr}`);
  return cfg;
}
