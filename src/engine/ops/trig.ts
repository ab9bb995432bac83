import type { OpDef, Tensor } from "../graph.ts";
import { requireFloat } from "./operand.ts";

// No gradient: used on rotary angles, which are computed from integer positions only.
const Cos: OpDef = { type: "Cos" };
const Sin: OpDef = { type: "Sin" };

export function cos(x: Tensor): Tensor {
  requireFloat("Cos", x);
  return x.graph.addNode(Cos, [x], [{ dtype: x.dtype, shape: x.shape }])[0];
}

export function sin(x: Tensor): Tensor {
  requireFloat("Sin", x);
  return x.graph.addNode(Sin, [x], [{ dtype: x.dtype, shape: x.shape }])[0];
}
