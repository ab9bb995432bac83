import { type OpDef, type Tensor, attr } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { exp } from "./exp.ts";
import { mul } from "./mul.ts";
import { requireFloat } from "./operand.ts";
import { reduceSum } from "./reduce-sum.ts";
import { sub } from "./sub.ts";

const LogSoftmax: OpDef = {
  type: "LogSoftmax",
  grad: (node, [g]) => {
    const y = node.outputs[0];
    const axis = node.intAttr("axis");
    return [sub(g, mul(exp(y), reduceSum(g, [axis], true)))];
  },
};

/** log(softmax(x)) along one axis, computed stably by ORT. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloat("LogSoftmax", x);
  const a = normalizeAxis("LogSoftmax", axis, x.rank);
  return x.graph.addNode(LogSoftmax, [x], [{ dtype: x.dtype, shape: x.shape }], { axis: attr.int(a) })[0];
}
