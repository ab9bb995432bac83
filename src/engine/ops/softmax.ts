import { type OpDef, type Tensor, attr } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { mul } from "./mul.ts";
import { requireFloat } from "./operand.ts";
import { reduceSum } from "./reduce-sum.ts";
import { sub } from "./sub.ts";

const Softmax: OpDef = {
  type: "Softmax",
  grad: (node, [g]) => {
    const y = node.outputs[0];
    const axis = node.intAttr("axis");
    return [mul(y, sub(g, reduceSum(mul(g, y), [axis], true)))];
  },
};

/** softmax along one axis (opset 13 semantics). */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloat("Softmax", x);
  const a = normalizeAxis("Softmax", axis, x.rank);
  return x.graph.addNode(Softmax, [x], [{ dtype: x.dtype, shape: x.shape }], { axis: attr.int(a) })[0];
}
