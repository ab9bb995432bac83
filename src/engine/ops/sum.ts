import { type OpDef, type Tensor, GraphBuildError } from "../graph.ts";
import { broadcastMany } from "../shape.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Sum: OpDef = {
  type: "Sum",
  grad: (node, [g]) => node.inputs.map((x) => unbroadcast(g, x.shape)),
};

/** Elementwise sum of many tensors (one node instead of a chain of Adds). */
export function sum(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new GraphBuildError("Sum: needs at least one input");
  if (xs.length === 1) return xs[0];
  const dtype = xs[0].dtype;
  if (xs.some((x) => x.dtype !== dtype)) throw new GraphBuildError(`Sum: dtypes differ (${xs.map(String).join(", ")})`);
  const shape = broadcastMany("Sum", xs, xs.map((x) => x.shape));
  return xs[0].graph.addNode(Sum, xs, [{ dtype, shape }])[0];
}
