import { type Graph, type Tensor, GraphBuildError } from "../graph.ts";
import { isFloat } from "../dtype.ts";

/** A tensor, or a number lifted to a scalar constant of the other operand's dtype. */
export type Operand = Tensor | number;

export function lift(x: Operand, like: Tensor): Tensor {
  return typeof x === "number" ? like.graph.scalar(x, like.dtype) : x;
}

/** Both operands as tensors; at least one must be a tensor. */
export function liftPair(op: string, a: Operand, b: Operand): [Tensor, Tensor, Graph] {
  if (typeof a === "number" && typeof b === "number") throw new GraphBuildError(`${op}: at least one operand must be a tensor`);
  const like = typeof a === "number" ? (b as Tensor) : a;
  const ta = lift(a, like);
  const tb = lift(b, like);
  if (ta.dtype !== tb.dtype) {
    throw new GraphBuildError(`${op}: dtypes differ (${ta} and ${tb}); insert a cast`);
  }
  return [ta, tb, like.graph];
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new GraphBuildError(`${op}: needs a float32 or float64 tensor (got ${t})`);
}
