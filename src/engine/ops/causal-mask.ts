import { type Tensor, shapeError } from "../graph.ts";
import { cast } from "./cast.ts";
import { requireFloat } from "./operand.ts";
import { slice } from "./slice.ts";
import { constantOfShape, shapeOf, trilu } from "./support.ts";
import { where } from "./where.ts";

/** Score given to masked positions: finite, so masked gradients stay 0 rather than NaN. */
export const MASKED_SCORE = -1e9;

/**
 * Hides future positions of attention scores [..., T, S]: query i (the last T of S positions)
 * sees keys j <= i + S - T. The forward is Where(mask, scores, MASKED_SCORE); its gradient is
 * Where's (the incoming gradient where visible, 0 elsewhere).
 */
export function causalMask(scores: Tensor): Tensor {
  requireFloat("CausalMask", scores);
  if (scores.rank < 2) throw shapeError("CausalMask", "needs scores of rank >= 2 ([..., T, S])", scores);
  const t = scores.shape[scores.rank - 2];
  const s = scores.shape[scores.rank - 1];
  const g = scores.graph;
  let visible: Tensor;
  if (typeof t === "number" && typeof s === "number") {
    if (t > s) throw shapeError("CausalMask", `more queries (${t}) than keys (${s})`, scores);
    const bits = new Uint8Array(t * s);
    for (let i = 0; i < t; i++) for (let j = 0; j <= i + s - t; j++) bits[i * s + j] = 1;
    visible = g.constant(bits, "bool", [t, s], "causal_mask");
  } else {
    // Symbolic lengths: build the triangle at run time from the scores' own shape.
    const lastTwo = slice(shapeOf(scores), [-2], [Infinity]);
    const ones = constantOfShape(lastTwo, [t, s], 1, "int64");
    visible = cast(trilu(ones, false, typeof t === "number" && typeof s === "number" ? s - t : 0), "bool");
  }
  return where(visible, scores, MASKED_SCORE);
}
