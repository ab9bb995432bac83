import type { Tensor } from "../graph.ts";
import { mul } from "./mul.ts";
import { sigmoid } from "./sigmoid.ts";

/**
 * x * sigmoid(x). Composed (ONNX has no SiLU before opset 22's Swish proposals); the Mul and
 * Sigmoid rules give g * (s + x s (1 - s)), and ORT fuses the forward pair into QuickGelu.
 */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}
