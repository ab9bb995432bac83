import type { OpDef, Tensor } from "../graph.ts";
import { div } from "./div.ts";
import { unaryFloat } from "./elementwise.ts";

const Log: OpDef = { type: "Log", grad: (node, [g]) => [div(g, node.inputs[0])] };

/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return unaryFloat(Log, x);
}
