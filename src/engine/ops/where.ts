import { type OpDef, type Tensor, GraphBuildError } from "../graph.ts";
import { broadcastMany } from "../shape.ts";
import type { Operand } from "./operand.ts";
import { zerosLike } from "./support.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Where: OpDef = {
  type: "Where",
  grad: (node, [g]) => {
    const [c, a, b] = node.inputs;
    const zero = g.graph.scalar(0, g.dtype);
    return [undefined, unbroadcast(where(c, g, zero), a.shape), unbroadcast(where(c, zero, g), b.shape)];
  },
};

/** cond ? a : b elementwise, with broadcasting over all three. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== "bool") throw new GraphBuildError(`Where: condition must be bool (got ${cond})`);
  if (typeof a === "number" && typeof b === "number") throw new GraphBuildError("Where: one branch must be a tensor");
  const like = typeof a === "number" ? (b as Tensor) : a;
  const ta = typeof a === "number" ? cond.graph.scalar(a, like.dtype) : a;
  const tb = typeof b === "number" ? cond.graph.scalar(b, like.dtype) : b;
  if (ta.dtype !== tb.dtype) throw new GraphBuildError(`Where: branch dtypes differ (${ta} and ${tb})`);
  const shape = broadcastMany("Where", [cond, ta, tb], [cond.shape, ta.shape, tb.shape]);
  return cond.graph.addNode(Where, [cond, ta, tb], [{ dtype: ta.dtype, shape }])[0];
}

export { zerosLike };
