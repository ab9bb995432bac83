import type { OpDef, Tensor } from "../graph.ts";
import { unaryFloat } from "./elementwise.ts";
import { mul } from "./mul.ts";
import { neg } from "./neg.ts";

const Reciprocal: OpDef = {
  type: "Reciprocal",
  grad: (node, [g]) => {
    const y = node.outputs[0];
    return [neg(mul(g, mul(y, y)))];
  },
};

/** 1 / x. */
export function reciprocal(x: Tensor): Tensor {
  return unaryFloat(Reciprocal, x);
}
