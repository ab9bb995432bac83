// Group-relative advantages (GRPO: DeepSeekMath, arXiv 2402.03300).

export interface AdvantageOptions {
  /** Divide by the group's std (GRPO). false gives Dr. GRPO-style mean-centring only. Default true. */
  scaleByStd?: boolean;
  /** Added to the std so single-outcome groups give 0, not NaN. Default 1e-6. */
  eps?: number;
}

/** (r - mean) / (std + eps) with the population std (divide by n), as in GRPO implementations. */
export function groupAdvantages(rewards: readonly number[], opts: AdvantageOptions = {}): number[] {
  const n = rewards.length;
  if (n === 0) return [];
  const eps = opts.eps ?? 1e-6;
  let mean = 0;
  for (const r of rewards) mean += r;
  mean /= n;
  if (!(opts.scaleByStd ?? true)) return rewards.map((r) => r - mean);
  let v = 0;
  for (const r of rewards) v += (r - mean) * (r - mean);
  const std = Math.sqrt(v / n);
  return rewards.map((r) => (r - mean) / (std + eps));
}

/** True when every reward equals the first (no learning signal; dropped by dynamic sampling). */
export function isZeroVariance(rewards: readonly number[]): boolean {
  for (let i = 1; i < rewards.length; i++) if (rewards[i] !== rewards[0]) return false;
  return true;
}

/**
 * TRR++ (Task-Relative REINFORCE++, Absolute Zero, arXiv 2505.03335): each reward is normalised by
 * the mean and population std of its own bucket (task type x role, 6 buckets in AZR), so easy and
 * hard task kinds get comparable advantages. A bucket whose rewards are all equal gives 0.
 */
export function trrAdvantages(rewards: readonly number[], buckets: readonly string[], opts: { eps?: number } = {}): number[] {
  if (rewards.length !== buckets.length) throw new RangeError(`trrAdvantages: ${rewards.length} rewards but ${buckets.length} buckets`);
  const eps = opts.eps ?? 1e-6;
  const members = new Map<string, number[]>();
  buckets.forEach((b, i) => {
    const list = members.get(b);
    if (list) list.push(i);
    else members.set(b, [i]);
  });
  const out = new Array<number>(rewards.length).fill(0);
  for (const idx of members.values()) {
    const rs = idx.map((i) => rewards[i]!);
    if (isZeroVariance(rs)) continue;
    const adv = groupAdvantages(rs, { eps });
    idx.forEach((i, j) => (out[i] = adv[j]!));
  }
  return out;
}
