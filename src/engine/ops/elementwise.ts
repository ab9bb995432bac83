import { type OpDef, type Tensor, GraphBuildError } from "../graph.ts";
import { broadcastShapes } from "../shape.ts";
import { type Operand, liftPair, requireFloat } from "./operand.ts";

/** Emits a broadcasting binary node after checking dtypes and shapes. */
export function binary(def: OpDef, a: Operand, b: Operand): Tensor {
  const [ta, tb, g] = liftPair(def.type, a, b);
  const shape = broadcastShapes(def.type, ta, tb);
  return g.addNode(def, [ta, tb], [{ dtype: ta.dtype, shape }])[0];
}

/** Emits a shape-preserving unary node on a float tensor. */
export function unaryFloat(def: OpDef, x: Tensor): Tensor {
  requireFloat(def.type, x);
  return x.graph.addNode(def, [x], [{ dtype: x.dtype, shape: x.shape }])[0];
}

export function only<T>(xs: readonly T[], op: string): T {
  if (xs.length !== 1) throw new GraphBuildError(`${op}: expected exactly one output`);
  return xs[0];
}
