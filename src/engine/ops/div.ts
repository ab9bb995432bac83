import type { OpDef, Tensor } from "../graph.ts";
import { binary } from "./elementwise.ts";
import { mul } from "./mul.ts";
import { neg } from "./neg.ts";
import type { Operand } from "./operand.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Div: OpDef = {
  type: "Div",
  grad: (node, [g]) => {
    const [a, b] = node.inputs;
    const y = node.outputs[0];
    const gb = div(g, b);
    // d(a/b)/db = -(a/b)/b, reusing the forward output
    return [unbroadcast(gb, a.shape), unbroadcast(neg(mul(gb, y)), b.shape)];
  },
};

/** a / b elementwise with numpy broadcasting. */
export function div(a: Operand, b: Operand): Tensor {
  return binary(Div, a, b);
}
