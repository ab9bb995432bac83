/**
 * Training the decoder with the GRPO objective (src/rl/objective.ts): full fine-tuning (every
 * tensor in the flat buffer) or LoRA (lora.ts: frozen base, only adapters in the flat buffer).
 * One graph per shape bucket holds forward, backward and AdamW; the engine's `Trainer` owns the
 * flat buffers and runs it. This file turns sequences into the objective's per-token grid and
 * binds the weights.
 */
import type { Graph, Tensor } from "../engine/graph.ts";
import type { OptimizerConfig } from "../engine/optim.ts";
import { DEFAULT_MAX_GROUP, ParamLayout, groupName, paramInputs } from "../engine/params.ts";
import { type HostTensor, type RunTransfer, type SessionOptions, hostTensor } from "../engine/session.ts";
import { TRAIN_IO, type LossBuilder, Trainer } from "../engine/train-step.ts";
import type { ObjectiveHyper, ObjectiveStats } from "../rl/objective.ts";
import { GRPO_IO, grpoObjectiveGraph, objectiveFeeds, objectiveInputs, outputObjectiveStats } from "../rl/objective-graph.ts";
import {
  type FloatDType,
  type ProjectFn,
  type WeightBinding,
  type WeightFn,
  decoderParamSpecs,
  decoderTensorSpecs,
  initializerWeights,
  inputWeights,
  paramWeights,
  plainProject,
} from "./decoder.ts";
import { type DecoderConfig, ModelError } from "./hf-config.ts";
import { bucket, lmInputs, paddedFeeds, sequenceLogprobs } from "./logprobs.ts";
import { type LoraConfig, initLora, loraParamSpecs, loraProject } from "./lora.ts";
import { readPeftAdapters, writePeftAdapters } from "./peft.ts";

export type TrainMode = { readonly kind: "full" } | ({ readonly kind: "lora" } & LoraConfig);

export interface GrpoGraphOptions {
  readonly batch: number;
  readonly length: number;
  readonly temperature?: number;
}

/**
 * The learner's loss for one [batch, length] bucket: the decoder's log-probs of the tokens under
 * the GRPO objective. Declares the token and objective inputs; adds the objective's statistics as
 * outputs.
 */
export function grpoLossBuilder(cfg: DecoderConfig, weightsFor: (g: Graph, params: Readonly<Record<string, Tensor>>) => { w: WeightFn; project?: ProjectFn }, o: GrpoGraphOptions): LossBuilder {
  return (g, params) => {
    const dt = Object.values(params)[0]?.dtype ?? "float32";
    const x = lmInputs(g, o.batch, o.length);
    const inputs = objectiveInputs(g, dt, [o.batch, o.length - 1]);
    const bound = weightsFor(g, params);
    const { logprobs } = sequenceLogprobs(cfg, { w: bound.w, project: bound.project }, x, o.temperature);
    const stats = grpoObjectiveGraph(logprobs, inputs);
    outputObjectiveStats(g, stats);
    return stats.loss;
  };
}

/** One sampled sequence: prompt + completion ids; the completion tokens are trained. */
export interface TrainSequence {
  readonly ids: readonly number[];
  /** Index of the first completion token in `ids`. */
  readonly completionStart: number;
  /** One advantage for the whole completion (GRPO) or one per completion token. */
  readonly advantage: number | ArrayLike<number>;
  /** Behaviour log-probs of the completion tokens (length ids.length - completionStart). */
  readonly behaviourLogprobs: ArrayLike<number>;
  /** Reference-model log-probs of the completion tokens, for the KL penalty (default: behaviour). */
  readonly referenceLogprobs?: ArrayLike<number>;
}

/** The objective's hyperparameters (klCoef 0 or absent: no KL term, as in the paper) and the learning rate. */
export interface TrainHyper extends ObjectiveHyper {
  readonly lr: number;
}

/** The objective's statistics over the batch (tokens: completion tokens in the loss) and the gradient norm. */
export interface TrainStepResult extends ObjectiveStats<number> {
  readonly gradNorm: number;
  /** Bytes the step fed and fetched: on the CUDA EP, its host-device copies (full: params, m, v both ways). */
  readonly transfer: RunTransfer;
}

export interface LmTrainerOptions {
  readonly optimizer?: OptimizerConfig;
  readonly session?: SessionOptions;
  /** Graph float type; float64 for gradient checks. */
  readonly dtype?: FloatDType;
  /** Frozen base tensors: graph initializers (default; ONNX external data, resident on a GPU) or per-run inputs (read in place on the CPU). */
  readonly baseMode?: "initializer" | "input";
  /** Seed of the LoRA A initialization. */
  readonly seed?: number;
  /** Sampling temperature the behaviour log-probs were taken at (logits are divided by it). */
  readonly temperature?: number;
  readonly minLength?: number;
  /** Most elements per flat buffer (default 2^28): larger models are split into several (tests force small groups). */
  readonly maxGroup?: number;
  /**
   * How full fine-tuning's current weights enter log-prob and generation graphs: per-run inputs
   * (default; the CPU reads them in place) or initializers of sessions rebuilt whenever the weights
   * change ("initializers", the CUDA default: one copy to the device per train step instead of one
   * per decode step).
   */
  readonly fullWeights?: "inputs" | "initializers";
}

type Flat = Float32Array | Float64Array;

/** The engine Trainer's bucket key of a [batch, length] shape, and back. */
const bucketKey = (batch: number, length: number) => `grpo_b${batch}_t${length}`;
function bucketShape(key: string): [number, number] {
  const m = /^grpo_b(\d+)_t(\d+)$/.exec(key);
  if (!m) throw new ModelError(`train: ${key} is not a bucket key`);
  return [Number(m[1]), Number(m[2])];
}

/** The trainable flat buffer (all weights, or adapters) of a decoder, trained by GRPO steps. */
export class LmTrainer {
  readonly layout: ParamLayout;
  readonly dtype: FloatDType;
  /** Owns the parameters and AdamW state, and runs the step graphs. */
  private readonly trainer: Trainer;
  /** Bumped whenever the parameters are replaced (a step, a restore, withParameters). */
  private version = 0;

  constructor(
    readonly cfg: DecoderConfig,
    /** Base weights (HF names, HF layout). Full fine-tuning copies them into the flat buffer. */
    readonly base: ReadonlyMap<string, Float32Array>,
    readonly mode: TrainMode,
    readonly opts: LmTrainerOptions = {},
  ) {
    this.dtype = opts.dtype ?? "float32";
    let initial: Flat[];
    const maxGroup = opts.maxGroup ?? DEFAULT_MAX_GROUP;
    if (mode.kind === "full") {
      this.layout = new ParamLayout(decoderParamSpecs(cfg), maxGroup);
      initial = this.layout.zeros(this.dtype);
      for (const s of this.layout.slots) {
        const v = base.get(s.spec.name);
        if (!v || v.length !== s.size) throw new ModelError(`train: base weight ${s.spec.name} is missing or misshaped`);
        initial[s.group]!.set(v, s.offset);
      }
    } else {
      this.layout = new ParamLayout(loraParamSpecs(cfg, mode), maxGroup);
      if (this.layout.groups.length !== 1) throw new ModelError(`train: the LoRA adapters (${this.layout.total} parameters) exceed one flat buffer of ${maxGroup}; use a smaller rank or fewer targets`);
      initial = [initLora(this.layout, opts.seed ?? 0, this.dtype)];
    }
    const optimizer = opts.optimizer ?? { kind: "adamw", weightDecay: 0, clipNorm: 1 };
    const lossFor = (key: string) => {
      const [batch, length] = bucketShape(key);
      return grpoLossBuilder(this.cfg, (g, p) => this.weightsFor(g, p), { batch, length, temperature: this.opts.temperature });
    };
    // One train session per [batch, length] bucket: without the arena each frees its step's activations (README, memory).
    this.trainer = new Trainer(this.layout, optimizer, lossFor, initial, { ...opts.session, memArena: false }, this.dtype);
  }

  // The buffers live in the engine Trainer (one per layout group); snapshots read and restore them here.
  get paramGroups(): Flat[] {
    return this.trainer.paramGroups;
  }
  set paramGroups(p: Flat[]) {
    this.trainer.paramGroups = p;
    this.version++;
  }
  get mGroups(): Flat[] {
    return this.trainer.mGroups;
  }
  set mGroups(p: Flat[]) {
    this.trainer.mGroups = p;
  }
  get vGroups(): Flat[] {
    return this.trainer.vGroups;
  }
  set vGroups(p: Flat[]) {
    this.trainer.vGroups = p;
  }
  /** The flat buffer of a single-group layout (LoRA adapters always are one). */
  get params(): Flat {
    return this.trainer.params;
  }
  set params(p: Flat) {
    this.trainer.params = p;
    this.version++;
  }
  get m(): Flat {
    return this.trainer.m;
  }
  set m(p: Flat) {
    this.trainer.m = p;
  }
  get v(): Flat {
    return this.trainer.v;
  }
  set v(p: Flat) {
    this.trainer.v = p;
  }
  /** Completed steps. */
  get steps(): number {
    return this.trainer.steps;
  }
  set steps(n: number) {
    this.trainer.steps = n;
  }

  private baseWeights(g: Graph): WeightFn {
    return (this.opts.baseMode ?? "initializer") === "input" ? inputWeights(g, this.cfg, this.dtype) : initializerWeights(g, this.base, this.cfg, this.dtype);
  }

  private baseFeeds(): Record<string, HostTensor> {
    if (this.mode.kind === "full" || (this.opts.baseMode ?? "initializer") === "initializer") return {};
    const out: Record<string, HostTensor> = {};
    for (const s of decoderTensorSpecs(this.cfg)) {
      const v = this.base.get(s.name)!;
      out[s.name] = hostTensor(this.dtype, s.shape, this.dtype === "float64" ? Float64Array.from(v) : v);
    }
    return out;
  }

  /** How the current weights enter a graph (training and inference share it). */
  weightsFor(g: Graph, params: Readonly<Record<string, Tensor>>): { w: WeightFn; project?: ProjectFn } {
    if (this.mode.kind === "full") return { w: paramWeights(params) };
    const w = this.baseWeights(g);
    return { w, project: loraProject(plainProject(this.cfg, w), params, this.mode) };
  }

  /** A binding of the current parameters for log-prob and generation graphs. */
  binding(): WeightBinding {
    const self = this;
    if (this.mode.kind === "full" && this.opts.fullWeights === "initializers") {
      // The key names the parameter version, so caches drop the sessions of replaced weights.
      return {
        dtype: this.dtype,
        get key() {
          return `trained-full-${self.dtype}-resident-v${self.version}`;
        },
        bind: (g) => ({ w: initializerWeights(g, self.fullWeights(), self.cfg, self.dtype) }),
        feeds: () => ({}),
      };
    }
    if (this.mode.kind === "full") {
      // Per-tensor inputs fed as views of the flat buffer: no in-graph slicing copy per run.
      return {
        dtype: this.dtype,
        key: `trained-full-${this.dtype}`,
        bind: (g) => ({ w: inputWeights(g, self.cfg, self.dtype) }),
        feeds() {
          const out: Record<string, HostTensor> = {};
          for (const s of self.layout.slots) out[s.spec.name] = hostTensor(self.dtype, s.spec.shape, self.layout.view(self.paramGroups, s.spec.name));
          return out;
        },
      };
    }
    return {
      dtype: this.dtype,
      key: `trained-${this.mode.kind}-${this.dtype}-${this.opts.baseMode ?? "initializer"}`,
      bind(g) {
        const { params } = paramInputs(g, self.layout, self.dtype, TRAIN_IO.params);
        return self.weightsFor(g, params);
      },
      feeds() {
        const n = self.layout.groups.length;
        const out: Record<string, HostTensor> = self.baseFeeds();
        self.layout.groups.forEach((grp, i) => {
          out[groupName(TRAIN_IO.params, i, n)] = hostTensor(self.dtype, [grp.total], self.paramGroups[i]!);
        });
        return out;
      },
    };
  }

  /** The graph of one bucket, as `step` runs it (exposed for gradient checks and benchmarks). */
  buildGraph(batch: number, length: number, outputGrad = false): Graph {
    return this.trainer.graph(bucketKey(batch, length), outputGrad);
  }

  /** Feeds of a batch for a [B, T] bucket: right-padded tokens and the objective's [B, T-1] grid. */
  batchFeeds(seqs: readonly TrainSequence[], batch: number, length: number, hp: ObjectiveHyper): Record<string, HostTensor> {
    const dt = this.dtype;
    const n = batch * (length - 1);
    const make = () => (dt === "float64" ? new Float64Array(n) : new Float32Array(n));
    const adv = make();
    const beh = make();
    const ref = make();
    const mask = make();
    seqs.forEach((s, b) => {
      const c = s.completionStart;
      if (!(c >= 1 && c <= s.ids.length)) throw new ModelError(`train: completionStart ${c} must be in [1, ${s.ids.length}]`);
      if (s.behaviourLogprobs.length !== s.ids.length - c) throw new ModelError(`train: ${s.behaviourLogprobs.length} behaviour log-probs for ${s.ids.length - c} completion tokens`);
      for (let t = c; t < s.ids.length; t++) {
        const j = b * (length - 1) + t - 1; // grid entry t-1 predicts token t
        adv[j] = typeof s.advantage === "number" ? s.advantage : s.advantage[t - c];
        beh[j] = s.behaviourLogprobs[t - c];
        ref[j] = (s.referenceLogprobs ?? s.behaviourLogprobs)[t - c];
        mask[j] = 1;
      }
    });
    return {
      ...paddedFeeds(seqs.map((s) => s.ids), batch, length),
      ...this.baseFeeds(),
      ...objectiveFeeds(dt, [batch, length - 1], { advantages: adv, behaviour: beh, lossMask: mask, reference: ref }, hp),
    };
  }

  bucketOf(seqs: readonly TrainSequence[]): [number, number] {
    return [bucket(seqs.length), bucket(Math.max(2, ...seqs.map((s) => s.ids.length)), this.opts.minLength ?? 16)];
  }

  /** One GRPO step (forward, backward, AdamW) over the whole batch in one run. */
  async step(seqs: readonly TrainSequence[], hp: TrainHyper): Promise<TrainStepResult> {
    if (seqs.length === 0) throw new ModelError("train: empty batch");
    for (const s of seqs) for (const id of s.ids) if (!(Number.isInteger(id) && id >= 0 && id < this.cfg.vocabSize)) throw new ModelError(`train: token id ${id} is outside the vocabulary (${this.cfg.vocabSize})`);
    const [B, T] = this.bucketOf(seqs);
    const r = await this.trainer.step(bucketKey(B, T), this.batchFeeds(seqs, B, T, hp), hp.lr);
    this.version++;
    const num = (k: string) => Number(r.outputs[k].data[0]);
    return { loss: r.loss, gradNorm: r.gradNorm, clipFrac: num(GRPO_IO.clipFrac), tokens: num(GRPO_IO.tokens), kl: num(GRPO_IO.kl), transfer: r.transfer };
  }

  /** Current weights of a full fine-tune in HF names (views into the flat buffers). */
  fullWeights(): Map<string, Float32Array> {
    if (this.mode.kind !== "full") throw new ModelError("train: fullWeights needs full fine-tuning");
    const out = new Map<string, Float32Array>();
    for (const s of this.layout.slots) {
      const v = this.layout.view(this.paramGroups, s.spec.name);
      out.set(s.spec.name, v instanceof Float32Array ? v : Float32Array.from(v));
    }
    return out;
  }

  /** Writes the adapters in PEFT's layout (peft.ts). */
  saveAdapters(dir: string, baseModel = ""): void {
    if (this.mode.kind !== "lora") throw new ModelError("saveAdapters: the trainer is not in LoRA mode");
    writePeftAdapters(dir, this.layout, this.params, this.mode, baseModel);
  }

  /** Reads adapters saved by `saveAdapters` (or PEFT) with the same rank, alpha and targets. */
  loadAdapters(dir: string): void {
    if (this.mode.kind !== "lora") throw new ModelError("loadAdapters: the trainer is not in LoRA mode");
    this.params = readPeftAdapters(dir, this.layout, this.mode, this.dtype);
  }

  async release(): Promise<void> {
    await this.trainer.release();
  }
}
