import { gradients } from "./autodiff.ts";
import type { DType } from "./dtype.ts";
import { Graph, GraphBuildError, type Tensor } from "./graph.ts";
import { concat, reshape } from "./ops/index.ts";
import { type OptimizerConfig, optimizerStepGroups } from "./optim.ts";
import { type ParamLayout, groupName, paramInputs } from "./params.ts";
import { type EngineSession, type HostTensor, type RunTransfer, SessionCache, type SessionOptions, hostTensor } from "./session.ts";

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

/**
 * The loss and the flat gradients (one per group, laid out as the parameters) of one model;
 * `flat` and `grad` are group 0's (the whole model when the layout has one group).
 */
export function lossAndGrad(
  g: Graph,
  layout: ParamLayout,
  buildLoss: LossBuilder,
  dtype: DType,
): { flat: Tensor; loss: Tensor; grad: Tensor; flats: Tensor[]; grads: Tensor[] } {
  const { flats, params } = paramInputs(g, layout, dtype, TRAIN_IO.params);
  const loss = buildLoss(g, params);
  if (loss.rank !== 0) throw new GraphBuildError(`train step: loss must be a scalar (got ${loss})`);
  // Differentiate with respect to the unpacked views and concatenate per group: one copy into
  // [N_g], rather than summing one padded gradient per parameter.
  const grads = gradients(loss, layout.slots.map((s) => params[s.spec.name]));
  const byGroup = layout.groups.map((): Tensor[] => []);
  layout.slots.forEach((s, i) => byGroup[s.group]!.push(reshape(grads[i]!, [-1])));
  const groupGrads = byGroup.map((parts) => concat(parts, 0));
  return { flat: flats[0]!, loss, grad: groupGrads[0]!, flats, grads: groupGrads };
}

export interface TrainGraphOptions {
  readonly dtype?: DType;
  /** Also output the flat gradient (tests and diagnostics). */
  readonly outputGrad?: boolean;
  readonly name?: string;
}

/**
 * Forward + backward + optimizer update in one graph over flat buffers: inputs params, adam_m,
 * adam_v (params_i, adam_m_i, adam_v_i per group when the layout has several) and the matching
 * outputs.
 */
export function buildTrainGraph(layout: ParamLayout, optimizer: OptimizerConfig, buildLoss: LossBuilder, opts: TrainGraphOptions = {}): Graph {
  const dtype = opts.dtype ?? "float32";
  const g = new Graph(opts.name ?? "train_step");
  const { flats, loss, grads } = lossAndGrad(g, layout, buildLoss, dtype);
  const n = layout.groups.length;
  const ms = layout.groups.map((grp, i) => g.input(groupName(TRAIN_IO.m, i, n), dtype, [grp.total]));
  const vs = layout.groups.map((grp, i) => g.input(groupName(TRAIN_IO.v, i, n), dtype, [grp.total]));
  const lr = g.input(TRAIN_IO.lr, dtype, []);
  const step = g.input(TRAIN_IO.step, dtype, []);
  const out = optimizerStepGroups(
    optimizer,
    layout.groups.map((grp, i) => ({ params: flats[i]!, grad: grads[i]!, m: ms[i]!, v: vs[i]!, decayed: grp.decayed })),
    lr,
    step,
  );
  g.output(loss, TRAIN_IO.loss);
  g.output(out.gradNorm, TRAIN_IO.gradNorm);
  out.groups.forEach((o, i) => {
    g.output(o.params, groupName(TRAIN_IO.paramsOut, i, n));
    g.output(o.m, groupName(TRAIN_IO.mOut, i, n));
    g.output(o.v, groupName(TRAIN_IO.vOut, i, n));
  });
  if (opts.outputGrad) grads.forEach((gr, i) => g.output(gr, groupName(TRAIN_IO.grad, i, n)));
  return g;
}

export interface StepResult {
  readonly loss: number;
  readonly gradNorm: number;
  /** The step's feeds and outputs in bytes: what crosses PCIe each step on the CUDA EP. */
  readonly transfer: RunTransfer;
  /** Every output of the run, including those the loss builder added (e.g. the objective's statistics). */
  readonly outputs: Readonly<Record<string, HostTensor>>;
}

type Flat = Float32Array | Float64Array;

/**
 * Owns the flat parameter and optimizer buffers (one of each per layout group) and runs train
 * steps. One graph (and ORT session) is built per shape bucket, on first use. A step replaces the
 * buffers with the run's outputs and never writes into them, so a reference taken to them (a
 * snapshot) stays as it was.
 */
export class Trainer {
  /** Parameters, Adam m and Adam v, one buffer per layout group. */
  paramGroups: Flat[];
  mGroups: Flat[];
  vGroups: Flat[];
  /** Completed steps. */
  steps = 0;
  private readonly cache: SessionCache;

  constructor(
    readonly layout: ParamLayout,
    readonly optimizer: OptimizerConfig,
    /** Builds the loss for a bucket; the bucket key is the caller's (e.g. "b8xt128"). */
    readonly lossFor: (bucket: string) => LossBuilder,
    /** One buffer per group (a single-group layout also takes the buffer itself). */
    initialParams: Flat | readonly Flat[],
    readonly sessionOptions: SessionOptions = {},
    readonly dtype: DType = "float32",
  ) {
    const initial = Array.isArray(initialParams) ? [...initialParams] : [initialParams as Flat];
    if (initial.length !== layout.groups.length || initial.some((p, i) => p.length !== layout.groups[i]!.total)) {
      throw new Error(`Trainer: initial values [${initial.map((p) => p.length).join(", ")}] do not fit the layout's groups [${layout.groups.map((g) => g.total).join(", ")}]`);
    }
    this.paramGroups = initial;
    this.mGroups = layout.zeros(dtype);
    this.vGroups = layout.zeros(dtype);
    this.cache = new SessionCache(sessionOptions);
  }

  private single(groups: Flat[], what: string): Flat {
    if (groups.length !== 1) throw new Error(`Trainer: ${what} is one flat buffer only for a single-group layout (this one has ${groups.length} groups)`);
    return groups[0]!;
  }

  /** The parameter buffer of a single-group layout. */
  get params(): Flat {
    return this.single(this.paramGroups, "params");
  }
  set params(p: Flat) {
    this.paramGroups = [p];
  }
  get m(): Flat {
    return this.single(this.mGroups, "m");
  }
  set m(p: Flat) {
    this.mGroups = [p];
  }
  get v(): Flat {
    return this.single(this.vGroups, "v");
  }
  set v(p: Flat) {
    this.vGroups = [p];
  }

  /** The train-step graph of a bucket, as `step` runs it (`outputGrad` for gradient checks). */
  graph(bucket: string, outputGrad = false): Graph {
    return buildTrainGraph(this.layout, this.optimizer, this.lossFor(bucket), { dtype: this.dtype, outputGrad, name: `train_${bucket}` });
  }

  session(bucket: string): Promise<EngineSession> {
    return this.cache.get(bucket, () => this.graph(bucket));
  }

  get sessionCount(): number {
    return this.cache.size;
  }

  async step(bucket: string, feeds: Readonly<Record<string, HostTensor>>, lr: number): Promise<StepResult> {
    const session = await this.session(bucket);
    const n = this.layout.groups.length;
    const scalar = (x: number) => hostTensor(this.dtype, [], this.dtype === "float64" ? Float64Array.of(x) : Float32Array.of(x));
    const state: Record<string, HostTensor> = {};
    this.layout.groups.forEach((grp, i) => {
      state[groupName(TRAIN_IO.params, i, n)] = hostTensor(this.dtype, [grp.total], this.paramGroups[i]!);
      state[groupName(TRAIN_IO.m, i, n)] = hostTensor(this.dtype, [grp.total], this.mGroups[i]!);
      state[groupName(TRAIN_IO.v, i, n)] = hostTensor(this.dtype, [grp.total], this.vGroups[i]!);
    });
    const out = await session.run({
      ...feeds,
      ...state,
      [TRAIN_IO.lr]: scalar(lr),
      [TRAIN_IO.step]: scalar(this.steps + 1),
    });
    this.paramGroups = this.layout.groups.map((_, i) => out[groupName(TRAIN_IO.paramsOut, i, n)]!.data as Flat);
    this.mGroups = this.layout.groups.map((_, i) => out[groupName(TRAIN_IO.mOut, i, n)]!.data as Flat);
    this.vGroups = this.layout.groups.map((_, i) => out[groupName(TRAIN_IO.vOut, i, n)]!.data as Flat);
    this.steps++;
    return { loss: Number(out[TRAIN_IO.loss].data[0]), gradNorm: Number(out[TRAIN_IO.gradNorm].data[0]), outputs: out, transfer: session.lastTransfer };
  }

  async release(): Promise<void> {
    await this.cache.releaseAll();
  }
}
