import { type Dim, type OpDef, type Tensor, shapeError } from "../graph.ts";
import { broadcastMany, isStatic } from "../shape.ts";
import { shapeOf } from "./support.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Expand: OpDef = {
  type: "Expand",
  grad: (node, [g]) => [unbroadcast(g, node.inputs[0].shape)],
};

/**
 * Broadcasts `x` to `shape`. A symbolic target dim must already be x's dim at that aligned
 * position (it is emitted as 1, which keeps x's run-time size).
 */
export function expand(x: Tensor, shape: readonly Dim[]): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0) throw shapeError("Expand", `target ${JSON.stringify(shape)} has lower rank than the input`, x);
  const spec = shape.map((d, i) => {
    if (typeof d === "number") return d;
    if (i >= lead && x.shape[i - lead] === d) return 1;
    throw shapeError("Expand", `symbolic target dim ${d} at axis ${i} is not the input's dim there`, x);
  });
  const out = broadcastMany("Expand", [x], [x.shape, shape]);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.addNode(Expand, [x, x.graph.int64s(spec)], [{ dtype: x.dtype, shape: out }])[0];
}

/** Broadcasts `x` to the shape of `like` (read at run time when symbolic). */
export function expandTo(x: Tensor, like: Tensor): Tensor {
  if (isStatic(like.shape)) return expand(x, like.shape);
  const out = broadcastMany("Expand", [x, like], [x.shape, like.shape]);
  return x.graph.addNode(Expand, [x, shapeOf(like)], [{ dtype: x.dtype, shape: out }])[0];
}
