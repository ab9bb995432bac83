// The GRPO objective of objective.ts in plain JS (float64): the reference the learner's graph form
// is tested against, and the per-token surrogate the simulator (src/backends/sim) trains with.

import type { ObjectiveHyper, ObjectiveInputs, ObjectiveStats } from "./objective.ts";

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
export function clippedSurrogate(logRatio: number, advantage: number, epsLow: number, epsHigh: number): SurrogateTerm {
  const r = Math.exp(logRatio);
  const clipped = (advantage > 0 && r > 1 + epsHigh) || (advantage < 0 && r < 1 - epsLow);
  if (clipped) {
    const rc = advantage > 0 ? 1 + epsHigh : 1 - epsLow;
    return { loss: -rc * advantage, dLossDLogp: 0, clipped: true };
  }
  return { loss: -r * advantage, dLossDLogp: -r * advantage, clipped: false };
}

/** k3 estimate of KL(policy || reference) at one token, and its derivative in the policy log-prob. */
export function k3(logp: number, reference: number): { value: number; dValueDLogp: number } {
  const d = reference - logp;
  const e = Math.exp(d);
  return { value: e - d - 1, dValueDLogp: 1 - e };
}

export interface ObjectiveResult extends ObjectiveStats<number> {
  /** d loss / d logprobs[i] per token (0 outside the mask). */
  readonly grads: Float64Array;
}

/** The whole objective over flat per-token arrays (objective.ts gives the formulas). */
export function grpoObjectiveJs(x: ObjectiveInputs<ArrayLike<number>>, hp: ObjectiveHyper): ObjectiveResult {
  const n = x.logprobs.length;
  for (const [name, a] of Object.entries(x)) if (a.length !== n) throw new RangeError(`objective: ${name} has ${a.length} entries for ${n} log-probs`);
  const coef = hp.klCoef ?? 0;
  let tokens = 0;
  for (let i = 0; i < n; i++) tokens += x.lossMask[i]!;
  const denom = Math.max(tokens, 1);
  let surrogate = 0;
  let kl = 0;
  let clipped = 0;
  const grads = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = x.lossMask[i]!;
    if (m === 0) continue;
    const s = clippedSurrogate(x.logprobs[i]! - x.behaviour[i]!, x.advantages[i]!, hp.epsLow, hp.epsHigh);
    const k = k3(x.logprobs[i]!, x.reference[i]!);
    surrogate += m * s.loss;
    kl += m * k.value;
    if (s.clipped) clipped += m;
    grads[i] = (m * (s.dLossDLogp + coef * k.dValueDLogp)) / denom;
  }
  return { loss: surrogate / denom + coef * (kl / denom), clipFrac: clipped / denom, tokens, kl: kl / denom, grads };
}
