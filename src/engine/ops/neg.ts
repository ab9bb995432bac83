import type { OpDef, Tensor } from "../graph.ts";

const Neg: OpDef = { type: "Neg", grad: (_node, [g]) => [neg(g)] };

/** -x. */
export function neg(x: Tensor): Tensor {
  return x.graph.addNode(Neg, [x], [{ dtype: x.dtype, shape: x.shape }])[0];
}
