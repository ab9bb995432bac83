import { type OpDef, type Tensor, GraphBuildError, attr } from "../graph.ts";
import { mul } from "./mul.ts";
import { requireFloat } from "./operand.ts";
import { reducedShape, unreduce } from "./reduce-sum.ts";

function reducedCount(x: Tensor, axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) {
    const d = x.shape[a];
    if (typeof d !== "number") throw new GraphBuildError(`ReduceMean: gradient needs static reduced axes (axis ${a} of ${x} is ${d})`);
    n *= d;
  }
  return n;
}

const ReduceMean: OpDef = {
  type: "ReduceMean",
  grad: (node, [g]) => {
    const x = node.inputs[0];
    const axes = node.intsAttr("axes")!;
    return [mul(unreduce(g, x, axes, node.intAttr("keepdims", 1) === 1), 1 / reducedCount(x, axes))];
  },
};

/** Mean over `axes` (opset 17: axes is an attribute). */
export function reduceMean(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  requireFloat("ReduceMean", x);
  const [norm, shape] = reducedShape("ReduceMean", x, axes, keepdims);
  if (norm.length === 0) return x;
  return x.graph.addNode(ReduceMean, [x], [{ dtype: x.dtype, shape }], {
    axes: attr.ints(norm),
    keepdims: attr.int(keepdims ? 1 : 0),
  })[0];
}
