/**
 * Hugging Face `config.json` for decoder-only models of the Llama/Qwen3 family, parsed into one
 * normalized, validated `DecoderConfig` that the decoder graph, the weight loader and the tokenizer
 * glue all read. Anything the decoder cannot reproduce exactly is refused here, once, with a
 * one-line `ModelError` naming the field, its value and what is accepted.
 *
 * Accepted `model_type`s and how they map:
 * - "llama"   → arch "llama" (attention_bias on q/k/v/o when set; mlp_bias must be false).
 * - "mistral" → arch "llama" (no biases; `sliding_window` is kept in `slidingWindow`, so a decoder
 *               must refuse longer sequences; within the window the maths is Llama's).
 * - "qwen2"   → arch "llama" with bias on q/k/v only (Qwen2 hard-codes it; o_proj has none).
 * - "qwen3"   → arch "qwen3": Llama plus per-head RMSNorm on q and k before RoPE (`qkNorm`).
 *
 * RoPE scaling: null/absent, or rope_type "default", "linear" or "llama3" (all three only change
 * the inverse frequencies, computed once by `ropeInvFreq`). "dynamic", "yarn", "longrope" and the
 * rest are refused: they change attention scaling or depend on the sequence length.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

/** Bad model input (config, weights, tokenizer): one line for the user, exit code 2. */
export class ModelError extends Error {
  override name = "ModelError";
  readonly exitCode = 2;
}

export type DecoderArch = "llama" | "qwen3";
export type HfModelType = "llama" | "qwen3" | "qwen2" | "mistral";
/** The checkpoint's declared dtype (`torch_dtype`, or `dtype` in newer transformers). */
export type TorchDtype = "float32" | "float16" | "bfloat16";

export type RopeScaling =
  | { type: "linear"; factor: number }
  | {
      type: "llama3";
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

/** A decoder-only transformer, normalized. Field names are ours; `hf-config.ts` maps HF's. */
export interface DecoderConfig {
  arch: DecoderArch;
  /** The `model_type` the config declared (kept for messages and for writing configs back). */
  modelType: HfModelType;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  /** Per-head width. Qwen3 sets it explicitly and it need not equal hiddenSize / numHeads. */
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** null = plain RoPE. Applied only through `ropeInvFreq`. */
  ropeScaling: RopeScaling | null;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  /** Bias on q_proj, k_proj, v_proj. */
  qkvBias: boolean;
  /** Bias on o_proj (Llama/Qwen3 `attention_bias`; Qwen2 has q/k/v bias but none here). */
  oBias: boolean;
  /** Qwen3: RMSNorm over each head's q and k (weights `q_norm`/`k_norm`, shape [headDim]). */
  qkNorm: boolean;
  maxPositionEmbeddings: number;
  /** Mistral's sliding-window attention span; null = full causal attention. */
  slidingWindow: number | null;
  torchDtype: TorchDtype;
  bosTokenId: number | null;
  /** HF allows one id or a list; always a list here (possibly empty). */
  eosTokenIds: number[];
  padTokenId: number | null;
}

const MODEL_TYPES: Record<HfModelType, DecoderArch> = {
  llama: "llama",
  mistral: "llama",
  qwen2: "llama",
  qwen3: "qwen3",
};

const TORCH_DTYPES: readonly TorchDtype[] = ["float32", "float16", "bfloat16"];

type Json = Record<string, unknown>;

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * Parses an already-decoded `config.json` object. `source` names the file in error messages.
 * Unknown fields are ignored (HF configs carry many that do not change the maths); fields that
 * would change the maths and are not implemented are refused.
 */
export function parseDecoderConfig(raw: unknown, source = "config.json"): DecoderConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ModelError(`${source}: expected a JSON object, got ${show(raw)}`);
  }
  const c = raw as Json;
  const fail = (field: string, accepted: string): never => {
    const v = c[field];
    throw new ModelError(
      `${source}: ${field} is ${v === undefined ? "missing" : show(v)}; accepted: ${accepted}`,
    );
  };
  const has = (f: string) => c[f] !== undefined && c[f] !== null;
  const posInt = (f: string, dflt?: number): number => {
    if (!has(f)) return dflt !== undefined ? dflt : fail(f, "a positive integer");
    const v = c[f];
    return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : fail(f, "a positive integer");
  };
  const posNum = (f: string, dflt: number): number => {
    if (!has(f)) return dflt;
    const v = c[f];
    return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : fail(f, "a positive number");
  };
  const bool = (f: string, dflt: boolean): boolean => {
    if (!has(f)) return dflt;
    return typeof c[f] === "boolean" ? (c[f] as boolean) : fail(f, "true or false");
  };
  const tokenId = (f: string): number | null => {
    if (!has(f)) return null;
    const v = c[f];
    return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : fail(f, "null or a token id");
  };

  const mt = c.model_type;
  if (typeof mt !== "string" || !(mt in MODEL_TYPES)) {
    fail("model_type", `${Object.keys(MODEL_TYPES).map((k) => `"${k}"`).join(", ")}`);
  }
  const modelType = mt as HfModelType;
  const arch = MODEL_TYPES[modelType];

  if (has("quantization_config")) fail("quantization_config", "absent (quantized checkpoints are not supported)");
  const act = c.hidden_act ?? "silu";
  if (act !== "silu") fail("hidden_act", '"silu"');
  if (bool("mlp_bias", false)) fail("mlp_bias", "false");
  if ((modelType === "qwen2" || modelType === "qwen3") && bool("use_sliding_window", false)) {
    fail("use_sliding_window", "false");
  }
  if (has("partial_rotary_factor") && c.partial_rotary_factor !== 1) fail("partial_rotary_factor", "1");

  const hiddenSize = posInt("hidden_size");
  const intermediateSize = posInt("intermediate_size");
  const numLayers = posInt("num_hidden_layers");
  const numHeads = posInt("num_attention_heads");
  const numKvHeads = posInt("num_key_value_heads", numHeads);
  if (numHeads % numKvHeads !== 0) {
    fail("num_key_value_heads", `a divisor of num_attention_heads (${numHeads})`);
  }
  if (!has("head_dim") && hiddenSize % numHeads !== 0) {
    fail("hidden_size", `a multiple of num_attention_heads (${numHeads}) when head_dim is absent`);
  }
  const headDim = posInt("head_dim", hiddenSize / numHeads);
  if (headDim % 2 !== 0) fail("head_dim", "an even number (RoPE rotates pairs)");
  const vocabSize = posInt("vocab_size");

  // transformers v5 moves rope_theta and the scaling type into `rope_parameters`.
  const rp = c.rope_parameters;
  let ropeTheta: number;
  let ropeScalingRaw: unknown;
  let scalingField = "rope_scaling";
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== "object" || Array.isArray(rp)) fail("rope_parameters", "an object");
    const p = rp as Json;
    const t = p.rope_theta;
    if (typeof t !== "number" || !(t > 0)) fail("rope_parameters", "an object with a positive rope_theta");
    ropeTheta = t as number;
    ropeScalingRaw = p;
    scalingField = "rope_parameters";
  } else {
    ropeTheta = posNum("rope_theta", 10000);
    ropeScalingRaw = c.rope_scaling;
  }
  const ropeScaling = parseRopeScaling(ropeScalingRaw, () =>
    fail(scalingField, 'null, or rope_type "default", "linear" (factor) or "llama3" (factor, low_freq_factor, high_freq_factor, original_max_position_embeddings)'),
  );

  const attentionBias = bool("attention_bias", false);
  const qkvBias = modelType === "qwen2" ? true : modelType === "mistral" ? false : attentionBias;
  const oBias = modelType === "qwen2" || modelType === "mistral" ? false : attentionBias;
  if (modelType === "mistral" && attentionBias) fail("attention_bias", "false for mistral");

  let slidingWindow: number | null = null;
  if (modelType === "mistral" && has("sliding_window")) slidingWindow = posInt("sliding_window");

  const dtField = has("torch_dtype") ? "torch_dtype" : "dtype";
  const dt = c[dtField] ?? "float32";
  if (!TORCH_DTYPES.includes(dt as TorchDtype)) fail(dtField, TORCH_DTYPES.map((d) => `"${d}"`).join(", "));

  let eosTokenIds: number[] = [];
  const eos = c.eos_token_id;
  if (Array.isArray(eos)) {
    if (!eos.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0)) fail("eos_token_id", "null, a token id or a list of token ids");
    eosTokenIds = eos as number[];
  } else if (eos !== undefined && eos !== null) {
    eosTokenIds = [tokenId("eos_token_id") as number];
  }
  const bosTokenId = tokenId("bos_token_id");
  const padTokenId = tokenId("pad_token_id");
  for (const [f, id] of [["bos_token_id", bosTokenId], ["pad_token_id", padTokenId]] as const) {
    if (id !== null && id >= vocabSize) fail(f, `an id below vocab_size (${vocabSize})`);
  }
  if (eosTokenIds.some((id) => id >= vocabSize)) fail("eos_token_id", `ids below vocab_size (${vocabSize})`);

  return {
    arch,
    modelType,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: posNum("rms_norm_eps", 1e-6),
    ropeTheta,
    ropeScaling,
    vocabSize,
    tieWordEmbeddings: bool("tie_word_embeddings", false),
    qkvBias,
    oBias,
    qkNorm: arch === "qwen3",
    maxPositionEmbeddings: posInt("max_position_embeddings", 2048),
    slidingWindow,
    torchDtype: dt as TorchDtype,
    bosTokenId,
    eosTokenIds,
    padTokenId,
  };
}

function parseRopeScaling(v: unknown, refuse: () => never): RopeScaling | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) return refuse();
  const s = v as Json;
  const kind = s.rope_type ?? s.type ?? "default";
  const num = (k: string): number => {
    const x = s[k];
    return typeof x === "number" && Number.isFinite(x) && x > 0 ? x : refuse();
  };
  if (kind === "default") return null;
  if (kind === "linear") return { type: "linear", factor: num("factor") };
  if (kind === "llama3") {
    const r: RopeScaling = {
      type: "llama3",
      factor: num("factor"),
      lowFreqFactor: num("low_freq_factor"),
      highFreqFactor: num("high_freq_factor"),
      originalMaxPositionEmbeddings: num("original_max_position_embeddings"),
    };
    if (!(r.highFreqFactor > r.lowFreqFactor)) refuse();
    return r;
  }
  return refuse();
}

/** Reads and parses `<dir>/config.json`. */
export function loadDecoderConfig(dir: string): DecoderConfig {
  const path = join(dir, "config.json");
  if (!existsSync(path)) throw new ModelError(`${path}: not found; a model folder needs config.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ModelError(`${path}: not valid JSON (${(e as Error).message.replace(/\s+/g, " ")}); accepted: a Hugging Face config.json (a JSON object)`);
  }
  return parseDecoderConfig(raw, path);
}

/**
 * RoPE inverse frequencies, length headDim/2, in float64: inv_freq[i] = theta^(-2i/headDim), then
 * the configured scaling (HF's `_compute_linear_scaling_rope_parameters` and
 * `_compute_llama3_parameters`). Position p rotates pair (i, i + headDim/2) by angle p·inv_freq[i]
 * (HF's rotate_half layout, not interleaved pairs).
 */
export function ropeInvFreq(cfg: DecoderConfig): Float64Array {
  const half = cfg.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
  const s = cfg.ropeScaling;
  if (s === null) return inv;
  if (s.type === "linear") {
    for (let i = 0; i < half; i++) inv[i] /= s.factor;
    return inv;
  }
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    if (wavelen > lowWavelen) {
      inv[i] /= s.factor;
    } else if (wavelen >= highWavelen) {
      // Medium band: blend scaled and unscaled (HF computes it for all, then selects this band).
      const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      inv[i] = (1 - smooth) * (inv[i] / s.factor) + smooth * inv[i];
    }
  }
  return inv;
}
