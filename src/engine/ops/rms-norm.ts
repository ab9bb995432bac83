import { withGradient } from "../autodiff.ts";
import type { Tensor } from "../graph.ts";
import { add } from "./add.ts";
import { mul } from "./mul.ts";
import { reduceMean } from "./reduce-mean.ts";
import { rsqrt } from "./rsqrt.ts";
import { sub } from "./sub.ts";
import { unbroadcast } from "./unbroadcast.ts";

/**
 * x / sqrt(mean(x^2, last axis) + eps) * weight (Llama RMSNorm), composed from primitives.
 * Its own rule, with n = x * r and r = rsqrt(mean(x^2) + eps) from the forward pass:
 * dx = r * (dn - n * mean(dn * n)) with dn = g * weight, and dweight = sum(g * n). That is
 * eight passes over x where the primitives' rules take about twelve.
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  let r: Tensor | undefined;
  let n: Tensor | undefined;
  return withGradient(
    [x, weight],
    () => {
      r = rsqrt(add(reduceMean(mul(x, x), [-1], true), eps));
      n = mul(x, r);
      return mul(n, weight);
    },
    (g) => {
      const dn = mul(g, weight);
      const dx = mul(sub(dn, mul(n!, reduceMean(mul(dn, n!), [-1], true))), r!);
      return [unbroadcast(dx, x.shape), unbroadcast(mul(g, n!), weight.shape)];
    },
  );
}
