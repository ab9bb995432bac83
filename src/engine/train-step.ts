import { gradients } from "./autodiff.ts";
import type { DType } from "./dtype.ts";
import { Graph, GraphBuildError, type Tensor } from "./graph.ts";
import { concat, reshape } from "./ops/index.ts";
import { type OptimizerConfig, optimizerStep } from "./optim.ts";
import { type ParamLayout, paramInputs } from "./params.ts";
import { type EngineSession, type HostTensor, SessionCache, type SessionOptions, hostTensor } from "./session.ts";

/**
 * Builds the model's scalar loss from unpacked parameters. It declares its own data inputs
 * (tokens, targets...) on `g`; their names become the feed names of the step.
 */
export type LossBuilder = (g: Graph, params: Readonly<Record<string, Tensor>>) => Tensor;

/** Names of the fixed inputs and outputs of a train-step graph. */
export const TRAIN_IO = {
  params: "params",
  m: "adam_m",
  v: "adam_v",
  lr: "lr",
  step: "step",
  paramsOut: "params_out",
  mOut: "adam_m_out",
  vOut: "adam_v_out",
  loss: "loss",
  gradNorm: "grad_norm",
  grad: "grad",
} as const;

/** The loss and the flat gradient [N] (same layout as the parameters) of one model. */
export function lossAndGrad(g: Graph, layout: ParamLayout, buildLoss: LossBuilder, dtype: DType): { flat: Tensor; loss: Tensor; grad: Tensor } {
  const { flat, params } = paramInputs(g, layout, dtype, TRAIN_IO.params);
  const loss = buildLoss(g, params);
  if (loss.rank !== 0) throw new GraphBuildError(`train step: loss must be a scalar (got ${loss})`);
  // Differentiate with respect to the unpacked views and concatenate: one copy into [N], rather
  // than summing one padded [N] gradient per parameter.
  const names = layout.slots.map((s) => s.spec.name);
  const grads = gradients(loss, names.map((n) => params[n]));
  const grad = concat(grads.map((t) => reshape(t, [-1])), 0);
  return { flat, loss, grad };
}

export interface TrainGraphOptions {
  readonly dtype?: DType;
  /** Also output the flat gradient (tests and diagnostics). */
  readonly outputGrad?: boolean;
  readonly name?: string;
}

/** Forward + backward + optimizer update in one graph over flat buffers. */
export function buildTrainGraph(layout: ParamLayout, optimizer: OptimizerConfig, buildLoss: LossBuilder, opts: TrainGraphOptions = {}): Graph {
  const dtype = opts.dtype ?? "float32";
  const g = new Graph(opts.name ?? "train_step");
  const { flat, loss, grad } = lossAndGrad(g, layout, buildLoss, dtype);
  const m = g.input(TRAIN_IO.m, dtype, [layout.total]);
  const v = g.input(TRAIN_IO.v, dtype, [layout.total]);
  const lr = g.input(TRAIN_IO.lr, dtype, []);
  const step = g.input(TRAIN_IO.step, dtype, []);
  const out = optimizerStep(optimizer, { params: flat, grad, m, v, lr, step, decayed: layout.decayed });
  g.output(loss, TRAIN_IO.loss);
  g.output(out.gradNorm, TRAIN_IO.gradNorm);
  g.output(out.params, TRAIN_IO.paramsOut);
  g.output(out.m, TRAIN_IO.mOut);
  g.output(out.v, TRAIN_IO.vOut);
  if (opts.outputGrad) g.output(grad, TRAIN_IO.grad);
  return g;
}

export interface StepResult {
  readonly loss: number;
  readonly gradNorm: number;
  /** Every output of the run, including those the loss builder added (e.g. the objective's statistics). */
  readonly outputs: Readonly<Record<string, HostTensor>>;
}

type Flat = Float32Array | Float64Array;

/**
 * Owns the flat parameter and optimizer buffers and runs train steps. One graph (and ORT
 * session) is built per shape bucket, on first use.
 */
export class Trainer {
  params: Flat;
  m: Flat;
  v: Flat;
  /** Completed steps. */
  steps = 0;
  private readonly cache: SessionCache;

  constructor(
    readonly layout: ParamLayout,
    readonly optimizer: OptimizerConfig,
    /** Builds the loss for a bucket; the bucket key is the caller's (e.g. "b8xt128"). */
    readonly lossFor: (bucket: string) => LossBuilder,
    initialParams: Flat,
    readonly sessionOptions: SessionOptions = {},
    readonly dtype: DType = "float32",
  ) {
    if (initialParams.length !== layout.total) throw new Error(`Trainer: ${initialParams.length} initial values for ${layout.total} parameters`);
    this.params = initialParams;
    this.m = dtype === "float64" ? new Float64Array(layout.total) : new Float32Array(layout.total);
    this.v = dtype === "float64" ? new Float64Array(layout.total) : new Float32Array(layout.total);
    this.cache = new SessionCache(sessionOptions);
  }

  /** The train-step graph of a bucket, as `step` runs it (`outputGrad` for gradient checks). */
  graph(bucket: string, outputGrad = false): Graph {
    return buildTrainGraph(this.layout, this.optimizer, this.lossFor(bucket), { dtype: this.dtype, outputGrad, name: `train_${bucket}` });
  }

  session(bucket: string): Promise<EngineSession> {
    return this.cache.get(bucket, () => this.graph(bucket).toModel());
  }

  get sessionCount(): number {
    return this.cache.size;
  }

  async step(bucket: string, feeds: Readonly<Record<string, HostTensor>>, lr: number): Promise<StepResult> {
    const session = await this.session(bucket);
    const n = this.layout.total;
    const scalar = (x: number) => hostTensor(this.dtype, [], this.dtype === "float64" ? Float64Array.of(x) : Float32Array.of(x));
    const out = await session.run({
      ...feeds,
      [TRAIN_IO.params]: hostTensor(this.dtype, [n], this.params),
      [TRAIN_IO.m]: hostTensor(this.dtype, [n], this.m),
      [TRAIN_IO.v]: hostTensor(this.dtype, [n], this.v),
      [TRAIN_IO.lr]: scalar(lr),
      [TRAIN_IO.step]: scalar(this.steps + 1),
    });
    this.params = out[TRAIN_IO.paramsOut].data as Flat;
    this.m = out[TRAIN_IO.mOut].data as Flat;
    this.v = out[TRAIN_IO.vOut].data as Flat;
    this.steps++;
    return { loss: Number(out[TRAIN_IO.loss].data[0]), gradNorm: Number(out[TRAIN_IO.gradNorm].data[0]), outputs: out };
  }

  async release(): Promise<void> {
    await this.cache.releaseAll();
  }
}
