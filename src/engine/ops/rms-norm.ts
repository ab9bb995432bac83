import type { Tensor } from "../graph.ts";
import { add } from "./add.ts";
import { mul } from "./mul.ts";
import { reduceMean } from "./reduce-mean.ts";
import { rsqrt } from "./rsqrt.ts";

/** x / sqrt(mean(x^2, last axis) + eps) * weight (Llama RMSNorm), composed from primitives. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  const ms = reduceMean(mul(x, x), [-1], true);
  return mul(mul(x, rsqrt(add(ms, eps))), weight);
}
