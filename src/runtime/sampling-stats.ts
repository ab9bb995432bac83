// Per-role sampling statistics of a step: the policy's token entropy, response length and how many
// completions were truncated. They leave the learner only through its `timing` side channel (never
// a message), so the episode log stays byte-identical; a backend hands them to the learner attached
// to the results array of sample() (a WeakMap: nothing is added to the objects that go on the wire).

import type { Role } from "../protocol/messages.ts";

/** Sums over the completions of one role; means are taken when the step's row is written. */
export interface RoleSampling {
  completions: number;
  /** Sampled tokens (the simulator: one choice per completion that made one). */
  tokens: number;
  /** Completions that reached the token limit without a stop token or stop string. */
  truncated: number;
  /** Sum over the sampled tokens of the entropy (nats) of the distribution each was drawn from. */
  entropySum: number;
}

export type SamplingByRole = Partial<Record<Role, RoleSampling>>;

export function emptySampling(): RoleSampling {
  return { completions: 0, tokens: 0, truncated: 0, entropySum: 0 };
}

export function addSampling(a: RoleSampling, b: RoleSampling): RoleSampling {
  return { completions: a.completions + b.completions, tokens: a.tokens + b.tokens, truncated: a.truncated + b.truncated, entropySum: a.entropySum + b.entropySum };
}

/** `by` with `s` added under `role`; a new object, `by` is left as it was. */
export function addRoleSampling(by: SamplingByRole, role: Role, s: RoleSampling): SamplingByRole {
  return { ...by, [role]: addSampling(by[role] ?? emptySampling(), s) };
}

/** What one generated completion adds: its tokens, their entropies, and whether it was cut at the limit. */
export function completionSampling(c: { tokens: ArrayLike<number>; entropies: ArrayLike<number>; finishReason: "stop" | "length" }): RoleSampling {
  let entropySum = 0;
  for (let i = 0; i < c.entropies.length; i++) entropySum += c.entropies[i]!;
  return { completions: 1, tokens: c.tokens.length, truncated: c.finishReason === "length" ? 1 : 0, entropySum };
}

const attached = new WeakMap<object, RoleSampling>();

/** Attach a sample() call's statistics to its results (returns the results unchanged). */
export function withSampling<T extends object>(results: T, s: RoleSampling): T {
  attached.set(results, s);
  return results;
}

/** The statistics a backend attached to sample() results, if it reports any. */
export function samplingOf(results: object): RoleSampling | undefined {
  return attached.get(results);
}

const PREFIX: Record<Role, string> = { generator: "gen", predictor: "pred" };

/**
 * The metrics-row fields of a step's sampling: genEntropy/predEntropy (mean token entropy, nats),
 * genTruncFrac/predTruncFrac, and with `lengths` genResponseLen/predResponseLen (mean tokens per
 * completion). A role with no completions gets no fields.
 */
export function samplingMetrics(by: SamplingByRole, opts: { lengths: boolean }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const role of Object.keys(PREFIX) as Role[]) {
    const s = by[role];
    if (!s || s.completions === 0) continue;
    const p = PREFIX[role];
    if (s.tokens > 0) out[`${p}Entropy`] = s.entropySum / s.tokens;
    out[`${p}TruncFrac`] = s.truncated / s.completions;
    if (opts.lengths) out[`${p}ResponseLen`] = s.tokens / s.completions;
  }
  return out;
}
