// The GRPO objective of objective.ts as an ONNX graph: the learner's loss, differentiated by the
// engine's autodiff. The graph's data inputs, its extra outputs and their feeds are named here,
// so the trainer and the agreement test build and feed the same graph.

import type { DType } from "../engine/dtype.ts";
import type { Graph, Tensor } from "../engine/graph.ts";
import { add, cast, div, equal, exp, greater, less, mul, reduceSum, sub, where } from "../engine/ops/index.ts";
import { minimum } from "../engine/ops/support.ts";
import { type HostTensor, hostTensor } from "../engine/session.ts";
import type { ObjectiveHyper, ObjectiveInputs, ObjectiveStats } from "./objective.ts";

type FloatDType = "float32" | "float64";
type Flat = Float32Array | Float64Array;

/** Feed and output names of the objective's part of a train-step graph. */
export const GRPO_IO = {
  advantages: "advantages",
  behaviour: "behaviour_logprobs",
  lossMask: "loss_mask",
  epsLow: "eps_low",
  epsHigh: "eps_high",
  clipFrac: "clip_frac",
  tokens: "loss_tokens",
  reference: "reference_logprobs",
  klCoef: "kl_coef",
  kl: "kl",
} as const;

/** Everything the objective reads besides the log-probs, as graph tensors. */
export interface ObjectiveGraphInputs extends Omit<ObjectiveInputs<Tensor>, "logprobs"> {
  readonly epsLow: Tensor;
  readonly epsHigh: Tensor;
  readonly klCoef: Tensor;
}

/** Declares the objective's data inputs on `g`: per-token ones of shape `grid`, hyperparameters as scalars. */
export function objectiveInputs(g: Graph, dtype: DType, grid: readonly number[]): ObjectiveGraphInputs {
  // Declaration order is the model's input order; this one is what the recorded runs were trained with.
  const advantages = g.input(GRPO_IO.advantages, dtype, grid);
  const behaviour = g.input(GRPO_IO.behaviour, dtype, grid);
  const lossMask = g.input(GRPO_IO.lossMask, dtype, grid);
  const epsLow = g.input(GRPO_IO.epsLow, dtype, []);
  const epsHigh = g.input(GRPO_IO.epsHigh, dtype, []);
  const reference = g.input(GRPO_IO.reference, dtype, grid);
  const klCoef = g.input(GRPO_IO.klCoef, dtype, []);
  return { advantages, behaviour, lossMask, epsLow, epsHigh, reference, klCoef };
}

/** The objective over `logp`, [B, T-1] like the per-token inputs (entry t concerns token t+1); see objective.ts. */
export function grpoObjectiveGraph(logp: Tensor, x: ObjectiveGraphInputs): ObjectiveStats<Tensor> {
  const g = logp.graph;
  const dt = logp.dtype;
  const adv = x.advantages;
  // Only loss tokens reach the sums, but the masking is a multiply by m, and 0 * inf is NaN (in the
  // value and in every gradient). Prompt and padding positions carry behaviour and reference 0
  // while their log-probs can be far below -88, where exp of the differences overflows float32. So
  // both exponents are selected to 0 outside the mask before exp; inside it nothing changes.
  // (The test is m = 0, as objective-js.ts skips a token.)
  const outside = equal(x.lossMask, g.scalar(0, dt));
  const masked = (t: Tensor) => where(outside, g.scalar(0, dt), t);
  const r = exp(masked(sub(logp, x.behaviour)));
  const hi = add(x.epsHigh, 1);
  const lo = sub(1, x.epsLow);
  const f = (b: Tensor) => cast(b, dt);
  // 0/1 per token; the surrogate selects with `clipped`, and rc is a constant, so a clipped token
  // gets no gradient.
  const clippedF = add(mul(f(greater(adv, g.scalar(0, dt))), f(greater(r, hi))), mul(f(less(adv, g.scalar(0, dt))), f(less(r, lo))));
  const clipped = greater(clippedF, g.scalar(0.5, dt));
  const rc = where(greater(adv, g.scalar(0, dt)), hi, lo);
  const term = where(clipped, mul(rc, adv), mul(r, adv));
  const all = [0, 1];
  const tokens = reduceSum(x.lossMask, all);
  const denom = sub(0, minimum(sub(0, tokens), g.scalar(-1, dt))); // max(tokens, 1)
  const surrogate = div(sub(0, reduceSum(mul(term, x.lossMask), all)), denom);
  const clipFrac = div(reduceSum(mul(clippedF, x.lossMask), all), denom);
  const d = masked(sub(x.reference, logp));
  const k3 = sub(sub(exp(d), d), 1);
  const kl = div(reduceSum(mul(k3, x.lossMask), all), denom);
  return { loss: add(surrogate, mul(x.klCoef, kl)), clipFrac, tokens, kl };
}

/** Adds the statistics besides the loss as graph outputs (the train step outputs the loss itself). */
export function outputObjectiveStats(g: Graph, s: ObjectiveStats<Tensor>): void {
  g.output(s.clipFrac, GRPO_IO.clipFrac);
  g.output(s.tokens, GRPO_IO.tokens);
  g.output(s.kl, GRPO_IO.kl);
}

/** Feeds of `objectiveInputs`: per-token arrays of shape `grid` (in its dtype) and the hyperparameters. */
export function objectiveFeeds(dtype: FloatDType, grid: readonly number[], x: Omit<ObjectiveInputs<Flat>, "logprobs">, hp: ObjectiveHyper): Record<string, HostTensor> {
  const scalar = (v: number) => hostTensor(dtype, [], dtype === "float64" ? Float64Array.of(v) : Float32Array.of(v));
  return {
    [GRPO_IO.advantages]: hostTensor(dtype, grid, x.advantages),
    [GRPO_IO.behaviour]: hostTensor(dtype, grid, x.behaviour),
    [GRPO_IO.lossMask]: hostTensor(dtype, grid, x.lossMask),
    [GRPO_IO.epsLow]: scalar(hp.epsLow),
    [GRPO_IO.epsHigh]: scalar(hp.epsHigh),
    [GRPO_IO.reference]: hostTensor(dtype, grid, x.reference),
    [GRPO_IO.klCoef]: scalar(hp.klCoef ?? 0),
  };
}
