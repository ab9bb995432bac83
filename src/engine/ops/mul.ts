import type { OpDef, Tensor } from "../graph.ts";
import { binary } from "./elementwise.ts";
import type { Operand } from "./operand.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Mul: OpDef = {
  type: "Mul",
  grad: (node, [g]) => {
    const [a, b] = node.inputs;
    return [unbroadcast(mul(g, b), a.shape), unbroadcast(mul(g, a), b.shape)];
  },
};

/** a * b elementwise with numpy broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  return binary(Mul, a, b);
}
