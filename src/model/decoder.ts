/**
 * The Llama/Qwen3 decoder forward, built on the engine's graph builder from a `DecoderConfig`.
 *
 * Layout and semantics follow Hugging Face transformers:
 * - weights keep their HF names and layouts ([out, in] projections, applied with Gemm transB=1);
 * - RoPE uses the rotate_half convention, angles = position · inv_freq computed in the graph from
 *   integer positions (so left padding and KV-cache offsets only change the positions input);
 * - Qwen3 applies RMSNorm to each head of q and k before RoPE;
 * - GQA shares each kv head among H/Hkv query heads without repeating K/V: q is laid out as
 *   [B, Hkv, g·T, dh] so one batched product serves the whole group.
 *
 * Shapes: batch B and new length T are static per graph (one session per shape bucket); the past
 * length P of a KV cache is symbolic, so one decode session serves every cache length.
 */
import type { DType, Graph, Tensor } from "../engine/graph.ts";
import {
  add,
  cast,
  concat,
  div,
  exp,
  matmul,
  mul,
  reduceMax,
  reduceSum,
  reshape,
  rmsNorm,
  silu,
  slice,
  softmax,
  sub,
  transpose,
  transposeLast2,
  unsqueeze,
  gather,
} from "../engine/ops/index.ts";
import { MASKED_SCORE } from "../engine/ops/causal-mask.ts";
import { linear } from "../engine/ops/linear.ts";
import { cos, sin } from "../engine/ops/trig.ts";
import { xorshiftUniform, type ParamSpec } from "../engine/params.ts";
import { type HostTensor, hostTensor } from "../engine/session.ts";
import { type DecoderConfig, ModelError, ropeInvFreq } from "./hf-config.ts";

export type FloatDType = "float32" | "float64";

/** The HF tensor a graph needs, by name; returns a graph tensor (input slice, or initializer). */
export type WeightFn = (name: string) => Tensor;

/**
 * Applies one projection module (HF module path, e.g. "model.layers.0.self_attn.q_proj") to rows
 * x [M, in]. The default is x·Wᵀ (+ bias); LoRA wraps it.
 */
export type ProjectFn = (module: string, x: Tensor) => Tensor;

/** One layer's keys and values, [B, Hkv, S, dh] (keys after RoPE). */
export interface KvPair {
  readonly k: Tensor;
  readonly v: Tensor;
}

export interface DecoderInputs {
  /** [B, T] int64 token ids. */
  readonly ids: Tensor;
  /** [B, T] int64 RoPE positions (0-based index among the row's real tokens). */
  readonly positions: Tensor;
  /** [B, T] int64: 1 for real tokens, 0 for padding (padded keys are never attended to). */
  readonly mask: Tensor;
  /** KV cache of earlier tokens: [B, P] int64 mask (1 = attendable) and per-layer K/V. */
  readonly past?: { readonly mask: Tensor; readonly layers: readonly KvPair[] };
}

export interface DecoderOutputs {
  /** [B, T, d]: final-norm hidden states. */
  readonly hidden: Tensor;
  /** Per layer, the new tokens' K/V [B, Hkv, T, dh] (what a cache appends). */
  readonly present: KvPair[];
}

export interface TensorSpec {
  readonly name: string;
  readonly shape: number[];
  /** 1-D tensors (norms, biases): no weight decay. */
  readonly vector: boolean;
}

/** Every tensor the decoder reads, HF name and shape, in module order. */
export function decoderTensorSpecs(cfg: DecoderConfig): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const add = (name: string, shape: number[]) => specs.push({ name, shape, vector: shape.length === 1 });
  add("model.embed_tokens.weight", [cfg.vocabSize, h]);
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    add(`${p}.input_layernorm.weight`, [h]);
    for (const [m, out] of [["q_proj", q], ["k_proj", kv], ["v_proj", kv]] as const) {
      add(`${p}.self_attn.${m}.weight`, [out, h]);
      if (cfg.qkvBias) add(`${p}.self_attn.${m}.bias`, [out]);
    }
    add(`${p}.self_attn.o_proj.weight`, [h, q]);
    if (cfg.oBias) add(`${p}.self_attn.o_proj.bias`, [h]);
    if (cfg.qkNorm) {
      add(`${p}.self_attn.q_norm.weight`, [cfg.headDim]);
      add(`${p}.self_attn.k_norm.weight`, [cfg.headDim]);
    }
    add(`${p}.post_attention_layernorm.weight`, [h]);
    add(`${p}.mlp.gate_proj.weight`, [cfg.intermediateSize, h]);
    add(`${p}.mlp.up_proj.weight`, [cfg.intermediateSize, h]);
    add(`${p}.mlp.down_proj.weight`, [h, cfg.intermediateSize]);
  }
  add("model.norm.weight", [h]);
  if (!cfg.tieWordEmbeddings) add("lm_head.weight", [cfg.vocabSize, h]);
  return specs;
}

/** ParamSpecs for full fine-tuning (every tensor trainable; no decay on norms and biases). */
export function decoderParamSpecs(cfg: DecoderConfig): ParamSpec[] {
  return decoderTensorSpecs(cfg).map((s) => ({ name: s.name, shape: s.shape, decay: !s.vector }));
}

/** The projection modules of one layer that carry a weight (LoRA targets), as HF paths. */
export function projectionModules(cfg: DecoderConfig): { module: string; inFeatures: number; outFeatures: number }[] {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const out: { module: string; inFeatures: number; outFeatures: number }[] = [];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      { module: `${p}.self_attn.q_proj`, inFeatures: h, outFeatures: q },
      { module: `${p}.self_attn.k_proj`, inFeatures: h, outFeatures: kv },
      { module: `${p}.self_attn.v_proj`, inFeatures: h, outFeatures: kv },
      { module: `${p}.self_attn.o_proj`, inFeatures: q, outFeatures: h },
      { module: `${p}.mlp.gate_proj`, inFeatures: h, outFeatures: cfg.intermediateSize },
      { module: `${p}.mlp.up_proj`, inFeatures: h, outFeatures: cfg.intermediateSize },
      { module: `${p}.mlp.down_proj`, inFeatures: cfg.intermediateSize, outFeatures: h },
    );
  }
  return out;
}

/** The plain projection: x·Wᵀ plus the bias when the checkpoint has one. */
export function plainProject(cfg: DecoderConfig, w: WeightFn): ProjectFn {
  return (module, x) => {
    const y = linear(x, w(`${module}.weight`));
    const isQkv = /\.(q|k|v)_proj$/.test(module);
    const hasBias = (isQkv && cfg.qkvBias) || (module.endsWith(".o_proj") && cfg.oBias);
    return hasBias ? add(y, w(`${module}.bias`)) : y;
  };
}

/** Additive key bias from a 0/1 int64 mask [B, S]: 0 where attendable, MASKED_SCORE elsewhere; [B, 1, 1, S]. */
function keyBias(mask: Tensor, dtype: DType): Tensor {
  const m = cast(mask, dtype);
  return unsqueeze(mul(sub(m, 1), -MASKED_SCORE), [1, 2]);
}

/** Causal bias over new tokens for q laid out as g groups of T rows: [g·T, T]. */
function groupedCausalBias(g: Graph, groups: number, t: number, dtype: DType): Tensor {
  const values = new Float64Array(groups * t * t);
  for (let r = 0; r < groups * t; r++) {
    const i = r % t;
    for (let j = i + 1; j < t; j++) values[r * t + j] = MASKED_SCORE;
  }
  return g.constant(values, dtype, [groups * t, t], "causal_bias");
}

/** cos and sin of the RoPE angles, [B, T, 1, dh/2]. */
function ropeAngles(cfg: DecoderConfig, positions: Tensor, dtype: DType): { c: Tensor; s: Tensor } {
  const g = positions.graph;
  const inv = ropeInvFreq(cfg);
  // HF computes inv_freq and the angles in float32; keep float32 values for float32 graphs.
  const invT = g.constant(dtype === "float32" ? Float32Array.from(inv) : inv, dtype, [inv.length], "rope_inv_freq");
  const ang = mul(unsqueeze(cast(positions, dtype), [-1]), invT);
  return { c: unsqueeze(cos(ang), [2]), s: unsqueeze(sin(ang), [2]) };
}

/** rotate_half RoPE on x [B, T, H, dh]. */
function applyRope(x: Tensor, c: Tensor, s: Tensor, dh: number): Tensor {
  const half = dh / 2;
  const x1 = slice(x, [0], [half], [3]);
  const x2 = slice(x, [half], [dh], [3]);
  return concat([sub(mul(x1, c), mul(x2, s)), add(mul(x2, c), mul(x1, s))], 3);
}

export interface ForwardOptions {
  /** Projection override (LoRA); default `plainProject(cfg, w)`. */
  readonly project?: ProjectFn;
}

/** The decoder stack up to the final norm. */
export function decoderForward(cfg: DecoderConfig, w: WeightFn, x: DecoderInputs, opts: ForwardOptions = {}): DecoderOutputs {
  const [B, T] = x.ids.shape;
  if (typeof B !== "number" || typeof T !== "number") throw new ModelError(`decoder: batch and length must be static (got ids ${x.ids})`);
  if (cfg.slidingWindow !== null && T > cfg.slidingWindow) {
    throw new ModelError(`decoder: ${T} tokens exceed sliding_window ${cfg.slidingWindow}; sliding-window attention is not implemented`);
  }
  const g = x.ids.graph;
  const embed = w("model.embed_tokens.weight");
  const dtype = embed.dtype;
  const project = opts.project ?? plainProject(cfg, w);
  const d = cfg.hiddenSize;
  const H = cfg.numHeads;
  const Hkv = cfg.numKvHeads;
  const dh = cfg.headDim;
  const groups = H / Hkv;
  const eps = cfg.rmsNormEps;
  const scale = 1 / Math.sqrt(dh);

  const { c, s } = ropeAngles(cfg, x.positions, dtype);
  const newBias = add(groupedCausalBias(g, groups, T, dtype), keyBias(x.mask, dtype)); // [B,1,gT,T]
  const pastBias = x.past ? keyBias(x.past.mask, dtype) : undefined; // [B,1,1,P]

  let h = gather(embed, x.ids, 0); // [B, T, d]
  const present: KvPair[] = [];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const a = reshape(rmsNorm(h, w(`${p}.input_layernorm.weight`), eps), [B * T, d]);
    let q = reshape(project(`${p}.self_attn.q_proj`, a), [B, T, H, dh]);
    let k = reshape(project(`${p}.self_attn.k_proj`, a), [B, T, Hkv, dh]);
    const v = reshape(project(`${p}.self_attn.v_proj`, a), [B, T, Hkv, dh]);
    if (cfg.qkNorm) {
      q = rmsNorm(q, w(`${p}.self_attn.q_norm.weight`), eps);
      k = rmsNorm(k, w(`${p}.self_attn.k_norm.weight`), eps);
    }
    q = mul(applyRope(q, c, s, dh), scale);
    k = applyRope(k, c, s, dh);
    // Head h = kv·g + i (HF repeat_kv order): [B,T,H,dh] -> [B,H,T,dh] -> [B,Hkv,g·T,dh].
    const q4 = reshape(transpose(q, [0, 2, 1, 3]), [B, Hkv, groups * T, dh]);
    const k4 = transpose(k, [0, 2, 1, 3]);
    const v4 = transpose(v, [0, 2, 1, 3]);
    present.push({ k: k4, v: v4 });
    const sNew = add(matmul(q4, transposeLast2(k4)), newBias); // [B,Hkv,gT,T]
    let ctx: Tensor;
    const past = x.past?.layers[l];
    if (!past || !pastBias) {
      ctx = matmul(softmax(sNew, -1), v4);
    } else {
      // Softmax over [past | new] without concatenating the cache: shared max and denominator.
      const sPast = add(matmul(q4, transposeLast2(past.k)), pastBias); // [B,Hkv,gT,P]
      const m = reduceMax(concat([reduceMax(sNew, [-1], true), reduceMax(sPast, [-1], true)], -1), [-1], true);
      const eNew = exp(sub(sNew, m));
      const ePast = exp(sub(sPast, m));
      const den = add(reduceSum(eNew, [-1], true), reduceSum(ePast, [-1], true));
      ctx = div(add(matmul(ePast, past.v), matmul(eNew, v4)), den);
    }
    const merged = reshape(transpose(reshape(ctx, [B, H, T, dh]), [0, 2, 1, 3]), [B * T, H * dh]);
    h = add(h, reshape(project(`${p}.self_attn.o_proj`, merged), [B, T, d]));
    const m2 = reshape(rmsNorm(h, w(`${p}.post_attention_layernorm.weight`), eps), [B * T, d]);
    const gated = mul(silu(project(`${p}.mlp.gate_proj`, m2)), project(`${p}.mlp.up_proj`, m2));
    h = add(h, reshape(project(`${p}.mlp.down_proj`, gated), [B, T, d]));
  }
  return { hidden: rmsNorm(h, w("model.norm.weight"), eps), present };
}

/** Logits of hidden rows [M, d]: [M, V] (tied heads reuse the embedding). */
export function lmHead(cfg: DecoderConfig, w: WeightFn, rows: Tensor): Tensor {
  return linear(rows, w(cfg.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"));
}

/** Frozen weights as graph initializers (the base of LoRA, inference graphs). */
export function initializerWeights(g: Graph, weights: ReadonlyMap<string, Float32Array | Float64Array>, cfg: DecoderConfig, dtype: FloatDType): WeightFn {
  const shapes = new Map(decoderTensorSpecs(cfg).map((s) => [s.name, s.shape]));
  const made = new Map<string, Tensor>();
  return (name) => {
    let t = made.get(name);
    if (!t) {
      const values = weights.get(name);
      const shape = shapes.get(name);
      if (!values || !shape) throw new ModelError(`decoder: no weight ${name}`);
      t = g.weight(values, dtype, shape, name);
      made.set(name, t);
    }
    return t;
  };
}

/** Frozen weights as graph inputs named like the tensors (fed each run; zero-copy on the CPU). */
export function inputWeights(g: Graph, cfg: DecoderConfig, dtype: FloatDType): WeightFn {
  const shapes = new Map(decoderTensorSpecs(cfg).map((s) => [s.name, s.shape]));
  const made = new Map<string, Tensor>();
  return (name) => {
    let t = made.get(name);
    if (!t) {
      const shape = shapes.get(name);
      if (!shape) throw new ModelError(`decoder: no weight ${name}`);
      t = g.input(name, dtype, shape);
      made.set(name, t);
    }
    return t;
  };
}

/** Weights from unpacked flat parameters (full fine-tuning). */
export function paramWeights(params: Readonly<Record<string, Tensor>>): WeightFn {
  return (name) => {
    const t = params[name];
    if (!t) throw new ModelError(`decoder: no parameter ${name}`);
    return t;
  };
}

/**
 * How a model's weights enter a graph: `bind` declares them on the graph (initializers, inputs,
 * adapter inputs) and `feeds` gives the current values of whatever it declared as inputs.
 */
export interface WeightBinding {
  readonly dtype: FloatDType;
  /**
   * Distinguishes bindings that build different graphs (for session cache keys). A binding whose
   * graphs hold its current weights changes its key with them; a cache then drops the old key's sessions.
   */
  readonly key: string;
  bind(g: Graph): { readonly w: WeightFn; readonly project?: ProjectFn };
  feeds(): Record<string, HostTensor>;
}

/** A frozen model: every tensor an initializer ("initializer") or a per-name input ("input"). */
export function frozenBinding(cfg: DecoderConfig, values: ReadonlyMap<string, Float32Array | Float64Array>, mode: "initializer" | "input", dtype: FloatDType = "float32"): WeightBinding {
  return {
    dtype,
    key: `frozen-${mode}-${dtype}`,
    bind: (g) => ({ w: mode === "initializer" ? initializerWeights(g, values, cfg, dtype) : inputWeights(g, cfg, dtype) }),
    feeds: () => {
      if (mode === "initializer") return {};
      const out: Record<string, HostTensor> = {};
      for (const s of decoderTensorSpecs(cfg)) {
        const v = values.get(s.name);
        if (!v) throw new ModelError(`decoder: no weight ${s.name}`);
        out[s.name] = hostTensor(dtype, s.shape, dtype === "float32" && v instanceof Float64Array ? Float32Array.from(v) : v);
      }
      return out;
    },
  };
}

/** A small seeded uniform [0, 1) source (xorshift32): test and bench weights only. */
export const xorshift = xorshiftUniform;

/** Random weights for a config (norms near 1, others uniform ±scale): tests and benches. */
export function randomWeights(cfg: DecoderConfig, seed: number, scale = 0.2): Map<string, Float32Array> {
  const u = xorshift(seed);
  const out = new Map<string, Float32Array>();
  for (const s of decoderTensorSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    const isNorm = s.name.endsWith("norm.weight");
    for (let i = 0; i < n; i++) a[i] = isNorm ? 1 + 0.2 * (u() - 0.5) : (u() - 0.5) * 2 * scale;
    out.set(s.name, a);
  }
  return out;
}
