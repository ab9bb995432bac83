// The GRPO objective, defined once; objective-graph.ts (the learner's ONNX graph) and
// objective-js.ts (the plain-JS reference) both compute exactly this, and
// test/rl/objective-agreement.test.ts holds them to it.
//
// Per token i of the batch, with logp the current log-prob, beh the behaviour log-prob (the
// policy that sampled it), A its advantage, ref the reference log-prob and m its loss-mask weight:
//
//   r_i    = exp(logp_i - beh_i)
//   clip_i = (A_i > 0 and r_i > 1 + epsHigh) or (A_i < 0 and r_i < 1 - epsLow)
//   s_i    = -(1 + epsHigh) A_i or -(1 - epsLow) A_i where clip_i (by the sign of A_i), else -r_i A_i
//   k3_i   = exp(d_i) - d_i - 1 with d_i = ref_i - logp_i
//
//   tokens   = sum_i m_i
//   loss     = sum_i m_i s_i / max(tokens, 1) + klCoef * kl
//   kl       = sum_i m_i k3_i / max(tokens, 1)
//   clipFrac = sum_i m_i clip_i / max(tokens, 1)
//
// s_i is PPO's pessimistic -min(r A, clip(r, 1 - epsLow, 1 + epsHigh) A) (GRPO: DeepSeekMath,
// arXiv 2402.03300 §4.1), written so that the clip binds strictly outside the range and only on
// the side the advantage pushes: at a tie the unclipped branch (and its gradient) is used, and a
// clipped token has zero gradient. The range is asymmetric (clip-higher, DAPO arXiv 2503.14476
// §3.1). The mean is over every loss token of the batch, not a mean of per-sequence means (DAPO
// §3.3, token-level loss), so long completions weigh in proportion to their length. k3 is the
// unbiased, non-negative KL(policy || reference) estimator of DeepSeekMath §4.1; klCoef = 0 (DAPO
// §2.3 drops the KL term) leaves kl reported but out of the loss.
//
// A token with m_i = 0 is absent, not weighted by zero: its log-prob, behaviour and reference are
// never used, however extreme (the learner feeds behaviour and reference 0 at prompt and padding
// positions, where log-probs reach -89 and below and exp of their differences overflows float32).

/** Hyperparameters of the objective. */
export interface ObjectiveHyper {
  /** Lower clip: ratios below 1 - epsLow stop pulling a negative-advantage token down. */
  readonly epsLow: number;
  /** Upper clip (clip-higher): ratios above 1 + epsHigh stop pushing a positive token up. */
  readonly epsHigh: number;
  /** Weight of the k3 KL term in the loss; absent: 0. */
  readonly klCoef?: number;
}

/**
 * Per-token inputs, all of one length (a flattened [B, T-1] grid in the learner). `lossMask` is
 * 1 for a token in the loss and 0 for padding or prompt.
 */
export interface ObjectiveInputs<T> {
  readonly logprobs: T;
  readonly behaviour: T;
  readonly advantages: T;
  readonly lossMask: T;
  readonly reference: T;
}

/** What both forms report: a number in JS, a scalar tensor in the graph. */
export interface ObjectiveStats<T> {
  readonly loss: T;
  /** Share of loss tokens whose clip is active. */
  readonly clipFrac: T;
  /** Loss tokens (sum of the mask). */
  readonly tokens: T;
  /** Mean k3 KL to the reference over the loss tokens. */
  readonly kl: T;
}
