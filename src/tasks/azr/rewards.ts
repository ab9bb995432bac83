// Absolute Zero rewards (arXiv 2505.03335). Default: the paper's. `official: true`: the official
// code's format penalties, which punish invalid proposals and unparseable answers below a plain miss.

export interface AzrRewardOptions {
  /** Use the official code's penalties instead of the paper's 0. Default false. */
  official?: boolean;
}

/** Fraction of solver checks that were correct (the r of the learnability reward); 0 for no checks. */
export function solveRate(checks: readonly { correct: boolean }[]): number {
  if (checks.length === 0) return 0;
  let n = 0;
  for (const c of checks) if (c.correct) n++;
  return n / checks.length;
}

/**
 * Proposer reward of a valid task with solve rate r over G solver samples: 1 - r when 0 < r < 1,
 * else 0 (too easy or impossible: no learning signal). Official: -0.5 at r = 0 or 1.
 */
export function learnabilityReward(solveRate: number, opts: AzrRewardOptions = {}): number {
  if (!(solveRate >= 0 && solveRate <= 1)) throw new RangeError(`solve rate must be in [0, 1], got ${solveRate}`);
  if (solveRate === 0 || solveRate === 1) return opts.official ? -0.5 : 0;
  return 1 - solveRate;
}

/** Proposer reward of a proposal that did not parse or failed validation: 0, official -1. */
export function invalidProposalReward(opts: AzrRewardOptions = {}): number {
  return opts.official ? -1 : 0;
}

/** Solver reward: 1 when correct, else 0; official: -0.5 wrong but well formatted, -1 format error. */
export function solverReward(check: { correct: boolean; formatted: boolean }, opts: AzrRewardOptions = {}): number {
  if (check.correct) return 1;
  if (!opts.official) return 0;
  return check.formatted ? -0.5 : -1;
}
