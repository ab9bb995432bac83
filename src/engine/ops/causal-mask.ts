import { type Tensor, shapeError } from "../graph.ts";
import { add } from "./add.ts";
import { cast } from "./cast.ts";
import { requireFloat } from "./operand.ts";
import { slice } from "./slice.ts";
import { constantOfShape, shapeOf, trilu } from "./support.ts";
import { where } from "./where.ts";

/** Score given to masked positions: finite, so masked gradients stay 0 rather than NaN. */
export const MASKED_SCORE = -1e9;

// One bias constant per graph and shape, shared by every layer.
const biases = new WeakMap<object, Map<string, Tensor>>();

/**
 * Hides future positions of attention scores [..., T, S]: query i (the last T of S positions)
 * sees keys j <= i + S - T. The forward adds a constant [T, S] bias (0 visible, MASKED_SCORE
 * hidden), so its gradient is Add's: the incoming gradient passes through unchanged (the
 * softmax after it already sends ~0 to hidden positions) and the backward pass emits no node.
 * A Where would cost one full pass over the scores forward and another backward.
 */
export function causalMask(scores: Tensor): Tensor {
  requireFloat("CausalMask", scores);
  if (scores.rank < 2) throw shapeError("CausalMask", "needs scores of rank >= 2 ([..., T, S])", scores);
  const t = scores.shape[scores.rank - 2];
  const s = scores.shape[scores.rank - 1];
  const g = scores.graph;
  let bias: Tensor;
  if (typeof t === "number" && typeof s === "number") {
    if (t > s) throw shapeError("CausalMask", `more queries (${t}) than keys (${s})`, scores);
    const key = `${scores.dtype}:${t}x${s}`;
    let perGraph = biases.get(g);
    if (!perGraph) biases.set(g, (perGraph = new Map()));
    let cached = perGraph.get(key);
    if (!cached) {
      const values = new Float64Array(t * s).fill(MASKED_SCORE);
      for (let i = 0; i < t; i++) for (let j = 0; j <= i + s - t; j++) values[i * s + j] = 0;
      cached = g.constant(values, scores.dtype, [t, s], "causal_bias");
      perGraph.set(key, cached);
    }
    bias = cached;
  } else {
    // Symbolic lengths: build the triangle at run time from the scores' own shape (T == S).
    const lastTwo = slice(shapeOf(scores), [-2], [Infinity]);
    const ones = constantOfShape(lastTwo, [t, s], 1, "int64");
    const visible = cast(trilu(ones, false, 0), "bool");
    bias = where(visible, g.scalar(0, scores.dtype), MASKED_SCORE);
  }
  return add(scores, bias);
}
