import type { OpDef, Tensor } from "../graph.ts";
import { unaryFloat } from "./elementwise.ts";
import { mul } from "./mul.ts";

const Exp: OpDef = { type: "Exp", grad: (node, [g]) => [mul(g, node.outputs[0])] };

export function exp(x: Tensor): Tensor {
  return unaryFloat(Exp, x);
}
