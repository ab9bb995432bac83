import type { Graph, Tensor } from "./graph.ts";
import { add, concat, div, mul, pow, reduceSum, reshape, slice, sqrt, sub } from "./ops/index.ts";
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

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The most rows of the per-row decay column (so its constant stays small). */
const MAX_DECAY_ROWS = 1 << 16;

/**
 * p * (1 - lr*wd) on the decayed prefix [0, n), p elsewhere (decoupled weight decay), in one
 * pass: [N] is viewed as [N/c, c] rows with c = gcd(n, N), so the prefix is whole rows and the
 * factor is a broadcast column built from a small 0/1 constant. Slicing the prefix and
 * concatenating it back would copy the whole buffer twice more.
 */
function decayed(g: Graph, p: Tensor, lr: Tensor, wd: number, n: number): Tensor {
  if (wd === 0 || n === 0) return p;
  const keep = sub(1, mul(lr, wd));
  const total = p.shape[0] as number;
  if (n === total) return mul(p, keep);
  const c = gcd(n, total);
  const rows = total / c;
  if (rows > MAX_DECAY_ROWS) return concat([mul(slice(p, [0], [n], [0]), keep), slice(p, [n], [total], [0])], 0);
  const mask = new Float64Array(rows);
  mask.fill(1, 0, n / c);
  const column = sub(1, mul(mul(lr, wd), g.constant(mask, p.dtype, [rows, 1], "decay_rows")));
  return reshape(mul(reshape(p, [rows, c]), column), [total]);
}

/** One flat group's tensors: params, grad, m and v are [N_g]; [0, decayed) gets weight decay. */
export interface OptimizerGroup {
  readonly params: Tensor;
  readonly grad: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  readonly decayed: number;
}

/** Appends one optimizer step over flat buffers to the graph. */
export function optimizerStep(config: OptimizerConfig, x: OptimizerInputs): OptimizerOutputs {
  const { groups, gradNorm } = optimizerStepGroups(config, [x], x.lr, x.step);
  return { ...groups[0]!, gradNorm };
}

/**
 * One optimizer step over several flat groups: the gradient norm (and so clipping) is global, the
 * sum of every group's squared gradients; each group's update is elementwise, as over one buffer.
 * With one group the graph computes exactly what one flat buffer did.
 */
export function optimizerStepGroups(
  config: OptimizerConfig,
  xs: readonly OptimizerGroup[],
  lr: Tensor,
  step: Tensor,
): { groups: { params: Tensor; m: Tensor; v: Tensor }[]; gradNorm: Tensor } {
  const g = lr.graph;
  const dt = xs[0]!.grad.dtype;
  const sqs = xs.map((x) => mul(x.grad, x.grad));
  const sumSq = sqs.map((sq) => reduceSum(sq, [0])).reduce((a, b) => add(a, b));
  const gradNorm = sqrt(sumSq);
  const clip = config.clipNorm === undefined ? undefined : minimum(g.scalar(1, dt), div(config.clipNorm, add(gradNorm, 1e-6)));
  const wd = config.weightDecay ?? 0;
  if (config.kind === "sgd") {
    const mu = config.momentum ?? 0;
    const groups = xs.map((x) => {
      const base = decayed(g, x.params, lr, wd, x.decayed);
      const grad = clip ? mul(x.grad, clip) : x.grad;
      if (mu === 0) return { params: sub(base, mul(grad, lr)), m: x.m, v: x.v };
      const m = add(mul(x.m, mu), grad);
      return { params: sub(base, mul(m, lr)), m, v: x.v };
    });
    return { groups, gradNorm };
  }
  const b1 = config.beta1 ?? 0.9;
  const b2 = config.beta2 ?? 0.999;
  const eps = config.eps ?? 1e-8;
  // The clip factor folds into the scalar coefficients of m and v (and grad^2 is the one the norm
  // already computed), so clipping costs no pass over [N].
  const c1 = clip ? mul(clip, 1 - b1) : g.scalar(1 - b1, dt);
  const c2 = clip ? mul(mul(clip, clip), 1 - b2) : g.scalar(1 - b2, dt);
  // Bias corrections as scalars: lr*m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps)
  //   = m / (sqrt(v) + eps*sqrt(1-b2^t)) * lr*sqrt(1-b2^t)/(1-b1^t).
  const bc1 = sub(1, pow(g.scalar(b1, dt), step));
  const sbc2 = sqrt(sub(1, pow(g.scalar(b2, dt), step)));
  const stepSize = div(mul(lr, sbc2), bc1);
  const epsTerm = mul(sbc2, eps);
  const groups = xs.map((x, i) => {
    const base = decayed(g, x.params, lr, wd, x.decayed);
    const m = add(mul(x.m, b1), mul(x.grad, c1));
    const v = add(mul(x.v, b2), mul(sqs[i]!, c2));
    const denom = add(sqrt(v), epsTerm);
    return { params: sub(base, mul(div(m, denom), stepSize)), m, v };
  });
  return { groups, gradNorm };
}
