import type { OpDef, Tensor } from "../graph.ts";
import { binary } from "./elementwise.ts";
import type { Operand } from "./operand.ts";
import { unbroadcast } from "./unbroadcast.ts";

const Add: OpDef = {
  type: "Add",
  grad: (node, [g]) => [unbroadcast(g, node.inputs[0].shape), unbroadcast(g, node.inputs[1].shape)],
};

/** a + b with numpy broadcasting. */
export function add(a: Operand, b: Operand): Tensor {
  return binary(Add, a, b);
}
