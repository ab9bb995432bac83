/**
 * Training the decoder with the GRPO clipped surrogate: full fine-tuning (every tensor in the flat
 * buffer) or LoRA (frozen base as initializers, only adapters in the flat buffer). One graph per
 * shape bucket holds forward, backward and AdamW (the engine's `buildTrainGraph`).
 *
 * LoRA follows PEFT: y = x·Wᵀ + (alpha/r)·(x·Aᵀ)·Bᵀ with A [r, in], B [out, r], B = 0 at the
 * start; parameter names are PEFT's (base_model.model.<module>.lora_A.weight), so saved adapters
 * load in PEFT.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Graph, Tensor } from "../engine/graph.ts";
import { add, cast, div, exp, greater, less, mul, reduceSum, sub, where } from "../engine/ops/index.ts";
import { linear } from "../engine/ops/linear.ts";
import { minimum } from "../engine/ops/support.ts";
import type { OptimizerConfig } from "../engine/optim.ts";
import { ParamLayout, type ParamSpec, paramInputs } from "../engine/params.ts";
import { type HostTensor, SessionCache, type SessionOptions, hostTensor } from "../engine/session.ts";
import { TRAIN_IO, type LossBuilder, buildTrainGraph } from "../engine/train-step.ts";
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
  projectionModules,
  xorshift,
} from "./decoder.ts";
import { type DecoderConfig, ModelError } from "./hf-config.ts";
import { bucket, lmInputs, paddedFeeds, sequenceLogprobs } from "./logprobs.ts";
import { openCheckpoint, writeSafetensors } from "./safetensors.ts";

export const LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  readonly rank: number;
  readonly alpha: number;
  /** Default: all seven projections. */
  readonly targets?: readonly LoraTarget[];
}

export type TrainMode = { readonly kind: "full" } | ({ readonly kind: "lora" } & LoraConfig);

const PEFT_PREFIX = "base_model.model.";

function loraModules(cfg: DecoderConfig, lora: LoraConfig) {
  const targets = new Set<string>(lora.targets ?? LORA_TARGETS);
  for (const t of targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new ModelError(`lora: unknown target module ${t}; accepted: ${LORA_TARGETS.join(", ")}`);
  return projectionModules(cfg).filter((m) => targets.has(m.module.slice(m.module.lastIndexOf(".") + 1)));
}

export const loraAName = (module: string) => `${PEFT_PREFIX}${module}.lora_A.weight`;
export const loraBName = (module: string) => `${PEFT_PREFIX}${module}.lora_B.weight`;

/** Adapter parameters, PEFT names: A [r, in] decayed, B [out, r] decayed. */
export function loraParamSpecs(cfg: DecoderConfig, lora: LoraConfig): ParamSpec[] {
  if (!(Number.isInteger(lora.rank) && lora.rank >= 1)) throw new ModelError(`lora: rank must be a positive integer, got ${lora.rank}`);
  if (!(lora.alpha > 0)) throw new ModelError(`lora: alpha must be > 0, got ${lora.alpha}`);
  const specs: ParamSpec[] = [];
  for (const m of loraModules(cfg, lora)) {
    specs.push({ name: loraAName(m.module), shape: [lora.rank, m.inFeatures] }, { name: loraBName(m.module), shape: [m.outFeatures, lora.rank] });
  }
  return specs;
}

/** PEFT's initialization: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform, a=sqrt(5)), B = 0. */
export function initLora(layout: ParamLayout, seed: number, dtype: FloatDType = "float32"): Float32Array | Float64Array {
  const u = xorshift(seed);
  const buf = dtype === "float64" ? new Float64Array(layout.total) : new Float32Array(layout.total);
  for (const s of layout.slots) {
    if (!s.spec.name.endsWith("lora_A.weight")) continue;
    const bound = 1 / Math.sqrt(s.spec.shape[1]);
    for (let i = 0; i < s.size; i++) buf[s.offset + i] = (2 * u() - 1) * bound;
  }
  return buf;
}

/** Wraps the base projection with the adapters found in `params`. */
export function loraProject(base: ProjectFn, params: Readonly<Record<string, Tensor>>, lora: LoraConfig): ProjectFn {
  const scale = lora.alpha / lora.rank;
  return (module, x) => {
    const y = base(module, x);
    const a = params[loraAName(module)];
    const b = params[loraBName(module)];
    if (!a || !b) return y;
    return add(y, mul(linear(linear(x, a), b), scale));
  };
}

// ---------------------------------------------------------------------------------------------
// GRPO loss

export const GRPO_IO = {
  advantages: "advantages",
  behaviour: "behaviour_logprobs",
  lossMask: "loss_mask",
  epsLow: "eps_low",
  epsHigh: "eps_high",
  clipFrac: "clip_frac",
  tokens: "loss_tokens",
  reference: "reference_logprobs",
  klCoef: "kl_coef",
  kl: "kl",
} as const;

/**
 * Token-level mean of the clipped surrogate (src/rl/grpo.ts `clippedSurrogate`): per token
 * r = exp(logp - behaviour), loss = -rc·A where the clip binds strictly outside
 * [1 - epsLow, 1 + epsHigh] on the side the advantage pushes, else -r·A; averaged over all
 * loss-mask tokens of the batch. logp, advantages, behaviour and mask are [B, T-1]: entry t
 * concerns token t+1.
 */
export function grpoSurrogate(
  logp: Tensor,
  adv: Tensor,
  behaviour: Tensor,
  lossMask: Tensor,
  epsLow: Tensor,
  epsHigh: Tensor,
  kl?: { reference: Tensor; coef: Tensor },
): { loss: Tensor; clipFrac: Tensor; tokens: Tensor; kl?: Tensor } {
  const g = logp.graph;
  const dt = logp.dtype;
  const r = exp(sub(logp, behaviour));
  const hi = add(epsHigh, 1);
  const lo = sub(1, epsLow);
  const f = (b: Tensor) => cast(b, dt);
  const clippedF = add(mul(f(greater(adv, g.scalar(0, dt))), f(greater(r, hi))), mul(f(less(adv, g.scalar(0, dt))), f(less(r, lo))));
  const clipped = greater(clippedF, g.scalar(0.5, dt));
  const rc = where(greater(adv, g.scalar(0, dt)), hi, lo);
  const term = where(clipped, mul(rc, adv), mul(r, adv));
  const all = [0, 1];
  const tokens = reduceSum(lossMask, all);
  const denom = sub(0, minimum(sub(0, tokens), g.scalar(-1, dt))); // max(tokens, 1)
  const surrogate = div(sub(0, reduceSum(mul(term, lossMask), all)), denom);
  const clipFrac = div(reduceSum(mul(clippedF, lossMask), all), denom);
  if (!kl) return { loss: surrogate, clipFrac, tokens };
  // k3 estimator of KL(policy || reference) per token: exp(d) - d - 1 with d = ref - logp (>= 0).
  const d = sub(kl.reference, logp);
  const k3 = sub(sub(exp(d), d), 1);
  const klMean = div(reduceSum(mul(k3, lossMask), all), denom);
  return { loss: add(surrogate, mul(kl.coef, klMean)), clipFrac, tokens, kl: klMean };
}

export interface GrpoGraphOptions {
  readonly batch: number;
  readonly length: number;
  readonly temperature?: number;
}

/** Declares the GRPO data inputs and returns the loss builder for one shape bucket. */
export function grpoLossBuilder(cfg: DecoderConfig, weightsFor: (g: Graph, params: Readonly<Record<string, Tensor>>) => { w: WeightFn; project?: ProjectFn }, o: GrpoGraphOptions): LossBuilder {
  return (g, params) => {
    const dt = Object.values(params)[0]?.dtype ?? "float32";
    const x = lmInputs(g, o.batch, o.length);
    const grid = [o.batch, o.length - 1];
    const adv = g.input(GRPO_IO.advantages, dt, grid);
    const beh = g.input(GRPO_IO.behaviour, dt, grid);
    const mask = g.input(GRPO_IO.lossMask, dt, grid);
    const epsLow = g.input(GRPO_IO.epsLow, dt, []);
    const epsHigh = g.input(GRPO_IO.epsHigh, dt, []);
    const reference = g.input(GRPO_IO.reference, dt, grid);
    const coef = g.input(GRPO_IO.klCoef, dt, []);
    const bound = weightsFor(g, params);
    const { logprobs } = sequenceLogprobs(cfg, { w: bound.w, project: bound.project }, x, o.temperature);
    const s = grpoSurrogate(logprobs, adv, beh, mask, epsLow, epsHigh, { reference, coef });
    g.output(s.clipFrac, GRPO_IO.clipFrac);
    g.output(s.tokens, GRPO_IO.tokens);
    g.output(s.kl!, GRPO_IO.kl);
    return s.loss;
  };
}

// ---------------------------------------------------------------------------------------------
// Trainer

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

export interface TrainHyper {
  readonly lr: number;
  readonly epsLow: number;
  readonly epsHigh: number;
  /** Weight of the k3 KL penalty against the reference log-probs (0: none, as in the paper). */
  readonly klCoef?: number;
}

export interface TrainStepResult {
  readonly loss: number;
  readonly gradNorm: number;
  readonly clipFrac: number;
  /** Completion tokens in the loss. */
  readonly tokens: number;
  /** Mean k3 KL to the reference over the loss tokens. */
  readonly kl: number;
}

export interface LmTrainerOptions {
  readonly optimizer?: OptimizerConfig;
  readonly session?: SessionOptions;
  /** Graph float type; float64 for gradient checks. */
  readonly dtype?: FloatDType;
  /** Frozen base tensors: graph initializers (default) or per-run inputs (models over 2 GB). */
  readonly baseMode?: "initializer" | "input";
  /** Seed of the LoRA A initialization. */
  readonly seed?: number;
  /** Sampling temperature the behaviour log-probs were taken at (logits are divided by it). */
  readonly temperature?: number;
  readonly minLength?: number;
}

type Flat = Float32Array | Float64Array;

/** Owns the trainable flat buffer (all weights, or adapters) and AdamW state. */
export class LmTrainer {
  readonly layout: ParamLayout;
  params: Flat;
  m: Flat;
  v: Flat;
  steps = 0;
  readonly dtype: FloatDType;
  private readonly cache: SessionCache;
  private readonly optimizer: OptimizerConfig;

  constructor(
    readonly cfg: DecoderConfig,
    /** Base weights (HF names, HF layout). Full fine-tuning copies them into the flat buffer. */
    readonly base: ReadonlyMap<string, Float32Array>,
    readonly mode: TrainMode,
    readonly opts: LmTrainerOptions = {},
  ) {
    this.dtype = opts.dtype ?? "float32";
    this.optimizer = opts.optimizer ?? { kind: "adamw", weightDecay: 0, clipNorm: 1 };
    this.cache = new SessionCache(opts.session ?? {});
    if (mode.kind === "full") {
      this.layout = new ParamLayout(decoderParamSpecs(cfg));
      this.params = this.dtype === "float64" ? new Float64Array(this.layout.total) : new Float32Array(this.layout.total);
      for (const s of this.layout.slots) {
        const v = base.get(s.spec.name);
        if (!v || v.length !== s.size) throw new ModelError(`train: base weight ${s.spec.name} is missing or misshaped`);
        this.params.set(v, s.offset);
      }
    } else {
      this.layout = new ParamLayout(loraParamSpecs(cfg, mode));
      this.params = initLora(this.layout, opts.seed ?? 0, this.dtype);
    }
    this.m = this.zeros();
    this.v = this.zeros();
  }

  private zeros(): Flat {
    return this.dtype === "float64" ? new Float64Array(this.layout.total) : new Float32Array(this.layout.total);
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
    if (this.mode.kind === "full") {
      // Per-tensor inputs fed as views of the flat buffer: no in-graph slicing copy per run.
      return {
        dtype: this.dtype,
        key: `trained-full-${this.dtype}`,
        bind: (g) => ({ w: inputWeights(g, self.cfg, self.dtype) }),
        feeds() {
          const out: Record<string, HostTensor> = {};
          for (const s of self.layout.slots) out[s.spec.name] = hostTensor(self.dtype, s.spec.shape, self.params.subarray(s.offset, s.offset + s.size));
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
        return { ...self.baseFeeds(), [TRAIN_IO.params]: hostTensor(self.dtype, [self.layout.total], self.params) };
      },
    };
  }

  /** The graph of one bucket (exposed for gradient checks). */
  buildGraph(batch: number, length: number, outputGrad = false): Graph {
    const loss = grpoLossBuilder(this.cfg, (g, p) => this.weightsFor(g, p), { batch, length, temperature: this.opts.temperature });
    return buildTrainGraph(this.layout, this.optimizer, loss, { dtype: this.dtype, outputGrad, name: `grpo_b${batch}_t${length}` });
  }

  /** Feeds of a batch for a [B, T] bucket: right-padded tokens and the [B, T-1] GRPO grid. */
  batchFeeds(seqs: readonly TrainSequence[], batch: number, length: number, hp: Pick<TrainHyper, "epsLow" | "epsHigh" | "klCoef">): Record<string, HostTensor> {
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
    const scalar = (x: number) => hostTensor(dt, [], dt === "float64" ? Float64Array.of(x) : Float32Array.of(x));
    return {
      ...paddedFeeds(seqs.map((s) => s.ids), batch, length),
      ...this.baseFeeds(),
      [GRPO_IO.advantages]: hostTensor(dt, [batch, length - 1], adv),
      [GRPO_IO.behaviour]: hostTensor(dt, [batch, length - 1], beh),
      [GRPO_IO.lossMask]: hostTensor(dt, [batch, length - 1], mask),
      [GRPO_IO.epsLow]: scalar(hp.epsLow),
      [GRPO_IO.epsHigh]: scalar(hp.epsHigh),
      [GRPO_IO.reference]: hostTensor(dt, [batch, length - 1], ref),
      [GRPO_IO.klCoef]: scalar(hp.klCoef ?? 0),
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
    const session = await this.cache.get(`grpo:b${B}:t${T}`, () => this.buildGraph(B, T));
    const dt = this.dtype;
    const N = this.layout.total;
    const scalar = (x: number) => hostTensor(dt, [], dt === "float64" ? Float64Array.of(x) : Float32Array.of(x));
    const out = await session.run({
      ...this.batchFeeds(seqs, B, T, hp),
      [TRAIN_IO.params]: hostTensor(dt, [N], this.params),
      [TRAIN_IO.m]: hostTensor(dt, [N], this.m),
      [TRAIN_IO.v]: hostTensor(dt, [N], this.v),
      [TRAIN_IO.lr]: scalar(hp.lr),
      [TRAIN_IO.step]: scalar(this.steps + 1),
    });
    this.params = out[TRAIN_IO.paramsOut].data as Flat;
    this.m = out[TRAIN_IO.mOut].data as Flat;
    this.v = out[TRAIN_IO.vOut].data as Flat;
    this.steps++;
    const num = (k: string) => Number(out[k].data[0]);
    return { loss: num(TRAIN_IO.loss), gradNorm: num(TRAIN_IO.gradNorm), clipFrac: num(GRPO_IO.clipFrac), tokens: num(GRPO_IO.tokens), kl: num(GRPO_IO.kl) };
  }

  /** Current weights of a full fine-tune in HF names (views into the flat buffer). */
  fullWeights(): Map<string, Float32Array> {
    if (this.mode.kind !== "full") throw new ModelError("train: fullWeights needs full fine-tuning");
    const out = new Map<string, Float32Array>();
    for (const s of this.layout.slots) {
      const v = this.params.subarray(s.offset, s.offset + s.size);
      out.set(s.spec.name, v instanceof Float32Array ? v : Float32Array.from(v));
    }
    return out;
  }

  /** Writes adapter_model.safetensors + adapter_config.json (PEFT layout). */
  saveAdapters(dir: string, baseModel = ""): void {
    if (this.mode.kind !== "lora") throw new ModelError("saveAdapters: the trainer is not in LoRA mode");
    mkdirSync(dir, { recursive: true });
    const tensors = this.layout.slots.map((s): [string, { dtype: "F32"; shape: number[]; data: Float32Array }] => [
      s.spec.name,
      { dtype: "F32", shape: [...s.spec.shape], data: Float32Array.from(this.params.subarray(s.offset, s.offset + s.size)) },
    ]);
    writeSafetensors(join(dir, "adapter_model.safetensors"), tensors);
    const config = {
      peft_type: "LORA",
      task_type: "CAUSAL_LM",
      base_model_name_or_path: baseModel,
      r: this.mode.rank,
      lora_alpha: this.mode.alpha,
      lora_dropout: 0,
      bias: "none",
      fan_in_fan_out: false,
      inference_mode: true,
      target_modules: [...(this.mode.targets ?? LORA_TARGETS)],
    };
    writeFileSync(join(dir, "adapter_config.json"), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Reads adapters saved by `saveAdapters` (or PEFT) with the same rank, alpha and targets. */
  loadAdapters(dir: string): void {
    if (this.mode.kind !== "lora") throw new ModelError("loadAdapters: the trainer is not in LoRA mode");
    const cfgPath = join(dir, "adapter_config.json");
    if (!existsSync(cfgPath)) throw new ModelError(`${cfgPath}: not found`);
    const ac = readAdapterConfig(cfgPath);
    const want = new Set(this.mode.targets ?? LORA_TARGETS);
    if (ac.r !== this.mode.rank || ac.alpha !== this.mode.alpha || ac.targets.length !== want.size || ac.targets.some((t) => !want.has(t))) {
      throw new ModelError(`${cfgPath}: r=${ac.r}, lora_alpha=${ac.alpha}, targets ${ac.targets.join(",")} differ from the trainer's r=${this.mode.rank}, alpha=${this.mode.alpha}, targets ${[...want].join(",")}`);
    }
    const expected = new Map(this.layout.slots.map((s) => [s.spec.name, [...s.spec.shape]]));
    const ck = openCheckpoint(join(dir, "adapter_model.safetensors"), { expected });
    const next = this.zeros();
    for (const s of this.layout.slots) next.set(ck.readF32(s.spec.name), s.offset);
    this.params = next;
  }

  async release(): Promise<void> {
    await this.cache.releaseAll();
  }
}

export function readAdapterConfig(path: string): { r: number; alpha: number; targets: LoraTarget[] } {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new ModelError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (raw.peft_type !== undefined && raw.peft_type !== "LORA") throw new ModelError(`${path}: peft_type ${JSON.stringify(raw.peft_type)}; accepted: "LORA"`);
  const r = raw.r;
  const alpha = raw.lora_alpha;
  const tm = raw.target_modules;
  if (typeof r !== "number" || typeof alpha !== "number" || !Array.isArray(tm)) throw new ModelError(`${path}: needs numeric r and lora_alpha and a target_modules list`);
  for (const t of tm) if (!(LORA_TARGETS as readonly unknown[]).includes(t)) throw new ModelError(`${path}: target module ${JSON.stringify(t)}; accepted: ${LORA_TARGETS.join(", ")}`);
  return { r, alpha, targets: tm as LoraTarget[] };
}

