import { withGradient } from "../autodiff.ts";
import type { Tensor } from "../graph.ts";
import { add } from "./add.ts";
import { mul } from "./mul.ts";
import { sigmoid } from "./sigmoid.ts";
import { sub } from "./sub.ts";

/**
 * x * sigmoid(x). Composed (ONNX has no SiLU before opset 22's Swish proposals). Its own rule
 * g * (s + y (1 - s)), with s and y = x s from the forward pass, takes four passes where the Mul
 * and Sigmoid rules take six and a Sum.
 */
export function silu(x: Tensor): Tensor {
  let s: Tensor | undefined;
  return withGradient(
    [x],
    () => mul(x, (s = sigmoid(x))),
    (g, y) => [mul(g, add(s!, mul(y, sub(1, s!))))],
  );
}
