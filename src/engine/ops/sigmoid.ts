import type { OpDef, Tensor } from "../graph.ts";
import { unaryFloat } from "./elementwise.ts";
import { mul } from "./mul.ts";
import { sub } from "./sub.ts";

const Sigmoid: OpDef = {
  type: "Sigmoid",
  grad: (node, [g]) => {
    const y = node.outputs[0];
    return [mul(g, mul(y, sub(1, y)))];
  },
};

export function sigmoid(x: Tensor): Tensor {
  return unaryFloat(Sigmoid, x);
}
