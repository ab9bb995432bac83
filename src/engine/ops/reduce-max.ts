import { type OpDef, type Tensor, attr } from "../graph.ts";
import { cast } from "./cast.ts";
import { div } from "./div.ts";
import { mul } from "./mul.ts";
import { reduceSum, reducedShape, unreduce } from "./reduce-sum.ts";
import { equal } from "./support.ts";
import { unsqueeze } from "./unsqueeze.ts";

const ReduceMax: OpDef = {
  type: "ReduceMax",
  grad: (node, [g]) => {
    const x = node.inputs[0];
    const axes = node.intsAttr("axes")!;
    const keep = node.intAttr("keepdims", 1) === 1;
    const yKeep = keep ? node.outputs[0] : unsqueeze(node.outputs[0], axes);
    // Ties share the gradient equally, as in PyTorch's amax.
    const mask = cast(equal(x, yKeep), x.dtype);
    const count = reduceSum(mask, axes, true);
    return [mul(unreduce(g, x, axes, keep), div(mask, count))];
  },
};

/** Max over `axes` (opset 17: axes is an attribute). */
export function reduceMax(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const [norm, shape] = reducedShape("ReduceMax", x, axes, keepdims);
  if (norm.length === 0) return x;
  return x.graph.addNode(ReduceMax, [x], [{ dtype: x.dtype, shape }], {
    axes: attr.ints(norm),
    keepdims: attr.int(keepdims ? 1 : 0),
  })[0];
}
