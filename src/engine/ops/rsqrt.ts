import type { Tensor } from "../graph.ts";
import { reciprocal } from "./reciprocal.ts";
import { sqrt } from "./sqrt.ts";

/**
 * 1 / sqrt(x). ONNX has no Rsqrt; composed from Sqrt and Reciprocal, whose gradient rules give
 * -0.5 x^-1.5. Kept as two nodes so ORT's RMSNorm-style fusions still see a Sqrt.
 */
export function rsqrt(x: Tensor): Tensor {
  return reciprocal(sqrt(x));
}
