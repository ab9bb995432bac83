import type { OpDef, Tensor } from "../graph.ts";
import { div } from "./div.ts";
import { unaryFloat } from "./elementwise.ts";
import { mul } from "./mul.ts";

const Sqrt: OpDef = { type: "Sqrt", grad: (node, [g]) => [div(g, mul(node.outputs[0], 2))] };

export function sqrt(x: Tensor): Tensor {
  return unaryFloat(Sqrt, x);
}
