import type { Graph, Tensor } from "./graph.ts";
import { add, concat, div, mul, pow, reduceSum, slice, sqrt, sub } from "./ops/index.ts";
import { minimum } from "./ops/support.ts";

export interface AdamWConfig {
  readonly kind: "adamw";
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  /** Clip the global gradient L2 norm to this value before the update; absent: no clipping. */
  readonly clipNorm?: number;
}

export interface SgdConfig {
  readonly kind: "sgd";
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly clipNorm?: number;
}

export type OptimizerConfig = AdamWConfig | SgdConfig;

/** Flat tensors the update reads: everything is [N] except lr and step (scalars). */
export interface OptimizerInputs {
  readonly params: Tensor;
  readonly grad: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  /** Learning rate for this step. */
  readonly lr: Tensor;
  /** 1-based step count, for Adam's bias correction. */
  readonly step: Tensor;
  /** Parameters [0, decayed) get weight decay; the rest do not. */
  readonly decayed: number;
}

export interface OptimizerOutputs {
  readonly params: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  /** Global gradient norm before clipping. */
  readonly gradNorm: Tensor;
}

/** p * (1 - lr*wd) on the decayed prefix, p elsewhere (decoupled weight decay). */
function decayed(g: Graph, p: Tensor, lr: Tensor, wd: number, n: number): Tensor {
  if (wd === 0 || n === 0) return p;
  const keep = sub(1, mul(lr, wd));
  const total = p.shape[0] as number;
  if (n === total) return mul(p, keep);
  return concat([mul(slice(p, [0], [n], [0]), keep), slice(p, [n], [total], [0])], 0);
}

/** Appends one optimizer step over flat buffers to the graph. */
export function optimizerStep(config: OptimizerConfig, x: OptimizerInputs): OptimizerOutputs {
  const g = x.params.graph;
  const gradNorm = sqrt(reduceSum(mul(x.grad, x.grad), [0]));
  let grad = x.grad;
  if (config.clipNorm !== undefined) {
    const scale = minimum(g.scalar(1, grad.dtype), div(config.clipNorm, add(gradNorm, 1e-6)));
    grad = mul(grad, scale);
  }
  const wd = config.weightDecay ?? 0;
  const base = decayed(g, x.params, x.lr, wd, x.decayed);
  if (config.kind === "sgd") {
    const mu = config.momentum ?? 0;
    if (mu === 0) return { params: sub(base, mul(grad, x.lr)), m: x.m, v: x.v, gradNorm };
    const m = add(mul(x.m, mu), grad);
    return { params: sub(base, mul(m, x.lr)), m, v: x.v, gradNorm };
  }
  const b1 = config.beta1 ?? 0.9;
  const b2 = config.beta2 ?? 0.999;
  const eps = config.eps ?? 1e-8;
  const m = add(mul(x.m, b1), mul(grad, 1 - b1));
  const v = add(mul(x.v, b2), mul(mul(grad, grad), 1 - b2));
  // Bias corrections folded into scalars: lr/(1-b1^t) and 1/sqrt(1-b2^t).
  const bc1 = sub(1, pow(g.scalar(b1, grad.dtype), x.step));
  const bc2 = sub(1, pow(g.scalar(b2, grad.dtype), x.step));
  const stepSize = div(x.lr, bc1);
  const denom = add(div(sqrt(v), sqrt(bc2)), eps);
  return { params: sub(base, mul(div(m, denom), stepSize)), m, v, gradNorm };
}
