import type { OpDef, Tensor } from "../graph.ts";
import { binary } from "./elementwise.ts";
import { neg } from "./neg.ts";
import type { Operand } from "./operand.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Sub: OpDef = {
  type: "Sub",
  grad: (node, [g]) => [unbroadcast(g, node.inputs[0].shape), unbroadcast(neg(g), node.inputs[1].shape)],
};

/** a - b with numpy broadcasting. */
export function sub(a: Operand, b: Operand): Tensor {
  return binary(Sub, a, b);
}
