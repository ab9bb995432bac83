import type { OpDef, Tensor } from "../graph.ts";
import { unaryFloat } from "./elementwise.ts";
import { mul } from "./mul.ts";
import { sub } from "./sub.ts";

const Tanh: OpDef = {
  type: "Tanh",
  grad: (node, [g]) => {
    const y = node.outputs[0];
    return [mul(g, sub(1, mul(y, y)))];
  },
};

export function tanh(x: Tensor): Tensor {
  return unaryFloat(Tanh, x);
}
