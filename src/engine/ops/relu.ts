import type { OpDef, Tensor } from "../graph.ts";
import { unaryFloat } from "./elementwise.ts";
import { greater } from "./support.ts";
import { where } from "./where.ts";

const Relu: OpDef = {
  type: "Relu",
  grad: (node, [g]) => {
    const x = node.inputs[0];
    return [where(greater(x, x.graph.scalar(0, x.dtype)), g, 0)];
  },
};

export function relu(x: Tensor): Tensor {
  return unaryFloat(Relu, x);
}
