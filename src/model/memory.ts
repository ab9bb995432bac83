/**
 * How much memory loading and training a model will take, estimated from its config before a
 * single weight is read, and a clear refusal when it cannot fit.
 *
 * The estimate follows what the code allocates today (fp32 graphs on the CPU):
 * - weights: every tensor is widened to fp32 in JS memory (`readAllF32`); full fine-tuning copies
 *   them into one flat buffer while the map still exists (the load's peak), then drops the map;
 * - Adam: m and v, one fp32 value each per trainable parameter;
 * - a full fine-tuning step: ORT unpacks the flat parameters into per-tensor slices (a copy), builds
 *   per-tensor gradients and their concatenation (two more), and returns params_out, m_out and
 *   v_out as new buffers (three more) while the inputs are still held;
 * - LoRA: the frozen base is fed in place; only adapters, their Adam state and their outputs grow;
 * - activations of the train bucket [batch, length]: per layer what the backward pass keeps, plus
 *   the vocabulary-wide logits, log-softmax and their gradients, which dominate small models;
 * - generation: the KV cache of the generation bucket and one row of logits per sequence.
 * The calibration against measured peak RSS is in the README (real configurations).
 */
import { freemem, totalmem } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import type { FloatDType } from "./decoder.ts";
import { type DecoderConfig, ModelError } from "./hf-config.ts";
import { LORA_TARGETS, type LoraTarget } from "./lora.ts";

export const GIB = 1024 ** 3;

/** Bun, ORT and a 150k-token tokenizer before any weight (measured: about 0.4 GiB). */
const RUNTIME_BYTES = 0.45 * GIB;

export interface MemoryPlan {
  readonly mode: { readonly kind: "full" } | { readonly kind: "lora"; readonly rank: number; readonly targets?: readonly LoraTarget[] };
  /** Graph float type (default float32). */
  readonly dtype?: FloatDType;
  /** The train bucket [batch, length] one optimizer step runs (default DEFAULT_TRAIN_SHAPE). */
  readonly train?: { readonly batch: number; readonly length: number };
  /** The generation bucket [batch, prompt + new tokens] (default DEFAULT_GENERATE_SHAPE). */
  readonly generate?: { readonly batch: number; readonly length: number };
}

/** A minibatch of 8 sequences of 512 tokens: a paper-template prompt and its reasoning. */
export const DEFAULT_TRAIN_SHAPE = { batch: 8, length: 512 } as const;
export const DEFAULT_GENERATE_SHAPE = { batch: 8, length: 512 } as const;

export interface MemoryPart {
  readonly name: string;
  readonly bytes: number;
}

export interface MemoryEstimate {
  readonly parameters: number;
  readonly trainable: number;
  /** What is held between steps, then the largest of the load, a train step and generation. */
  readonly parts: readonly MemoryPart[];
  readonly peak: number;
}

/** Parameters of a config, counted as decoderTensorSpecs lists them. */
export function parameterCount(cfg: DecoderConfig): number {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  let layer = 2 * h + h * q + 2 * h * kv + q * h + 3 * h * cfg.intermediateSize;
  if (cfg.qkvBias) layer += q + 2 * kv;
  if (cfg.oBias) layer += h;
  if (cfg.qkNorm) layer += 2 * cfg.headDim;
  return cfg.vocabSize * h * (cfg.tieWordEmbeddings ? 1 : 2) + cfg.numLayers * layer + h;
}

/** LoRA adapter parameters (A [r, in] and B [out, r] per targeted projection). */
export function loraParameterCount(cfg: DecoderConfig, rank: number, targets: readonly LoraTarget[] = LORA_TARGETS): number {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const io: Record<LoraTarget, [number, number]> = {
    q_proj: [h, q],
    k_proj: [h, kv],
    v_proj: [h, kv],
    o_proj: [q, h],
    gate_proj: [h, cfg.intermediateSize],
    up_proj: [h, cfg.intermediateSize],
    down_proj: [cfg.intermediateSize, h],
  };
  let n = 0;
  for (const t of targets) n += rank * (io[t][0] + io[t][1]);
  return n * cfg.numLayers;
}

/**
 * Bytes one GRPO step's graph keeps for the backward pass and its largest transients, for a
 * [batch, length] bucket. Per token and layer: the normed inputs, q/k/v/o, the MLP's gate, up and
 * product, and the attention scores ([heads, length] per token), with factors fitted to ORT's
 * measured peaks (README: 3d + 2q + 2kv + 3I + 1.5·H·T values); then the LM head's logits,
 * log-softmax and the gradient of the logits over the whole vocabulary.
 */
export function trainActivationBytes(cfg: DecoderConfig, batch: number, length: number, f = 4): number {
  const tokens = batch * length;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const perTokenLayer = 3 * cfg.hiddenSize + 2 * q + 2 * kv + 3 * cfg.intermediateSize + 1.5 * cfg.numHeads * length;
  const layers = tokens * perTokenLayer * cfg.numLayers;
  const head = 3 * batch * (length - 1) * cfg.vocabSize;
  return (layers + head) * f;
}

/** KV cache [B, Hkv, C, dh] per layer for K and V, the prefill's activations and one logits row per sequence. */
export function generateBytes(cfg: DecoderConfig, batch: number, length: number, f = 4): number {
  const cache = 2 * cfg.numLayers * batch * cfg.numKvHeads * length * cfg.headDim * f;
  const prefill = batch * length * (4 * cfg.hiddenSize + 2 * cfg.intermediateSize + 2 * cfg.numHeads * length) * f;
  return cache + prefill + 2 * batch * cfg.vocabSize * f;
}

/** The estimate of `plan` for `cfg` (see the module comment for what each part is). */
export function estimateMemory(cfg: DecoderConfig, plan: MemoryPlan): MemoryEstimate {
  const f = plan.dtype === "float64" ? 8 : 4;
  const n = parameterCount(cfg);
  const train = plan.train ?? DEFAULT_TRAIN_SHAPE;
  const gen = plan.generate ?? DEFAULT_GENERATE_SHAPE;
  const full = plan.mode.kind === "full";
  const trainable = plan.mode.kind === "full" ? n : loraParameterCount(cfg, plan.mode.rank, plan.mode.targets);
  const weights = n * f;
  const activations = trainActivationBytes(cfg, train.batch, train.length, f);
  // Transients of one step beyond activations: slices, gradients and new buffers (module comment).
  const stepState = full ? 6 * n * f : 3 * trainable * f + 2 * trainable * f;
  const step = stepState + activations;
  const load = full ? n * f : 0; // the widened map beside the flat buffer until it is dropped
  const generation = generateBytes(cfg, gen.batch, gen.length, f);
  const transient = Math.max(step, load, generation);
  const parts: MemoryPart[] = [
    { name: "runtime", bytes: RUNTIME_BYTES },
    { name: full ? "weights fp32" : "frozen base fp32", bytes: weights },
    ...(full ? [{ name: "Adam m+v", bytes: 2 * n * f }] : [{ name: "LoRA adapters+Adam", bytes: 3 * trainable * f }]),
  ];
  if (transient === step) {
    if (full) parts.push({ name: "step copies (param slices, grads, params/m/v out)", bytes: stepState });
    parts.push({ name: `activations b${train.batch}×t${train.length}`, bytes: activations + (full ? 0 : stepState) });
  } else if (transient === load) {
    parts.push({ name: "load (fp32 map beside the flat buffer)", bytes: load });
  } else {
    parts.push({ name: `generation b${gen.batch}×t${gen.length} (KV cache, prefill)`, bytes: generation });
  }
  const peak = parts.reduce((s, p) => s + p.bytes, 0);
  return { parameters: n, trainable, parts, peak };
}

export interface MachineMemory {
  /** The most this process could ever get: physical memory or a cgroup limit, whichever is lower. */
  readonly total: number;
  /** What is free now (MemAvailable, which counts reclaimable cache), within the cgroup's limit. */
  readonly available: number;
  /** Where the limit came from. */
  readonly source: string;
}

function readNumber(path: string): number | null {
  if (!existsSync(path)) return null;
  const s = readFileSync(path, "utf8").trim();
  const v = Number(s);
  return s !== "max" && Number.isFinite(v) && v > 0 ? v : null;
}

/** This machine's memory: /proc/meminfo and os, capped by a cgroup v2 or v1 limit where one is set. */
export function machineMemory(): MachineMemory {
  let total = totalmem();
  let available = freemem();
  let source = "physical memory";
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"));
    if (m) available = Number(m[1]) * 1024;
  } catch {
    // Not Linux: os.freemem() stands.
  }
  const limits: [string, string][] = [
    ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"],
    ["/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"],
  ];
  for (const [maxPath, usedPath] of limits) {
    const limit = readNumber(maxPath);
    // cgroup v1 reports "no limit" as a huge number.
    if (limit !== null && limit < total) {
      total = limit;
      available = Math.min(available, limit - (readNumber(usedPath) ?? 0));
      source = `cgroup limit (${maxPath})`;
      break;
    }
  }
  return { total, available: Math.max(0, available), source };
}

const gib = (b: number) => (b / GIB).toFixed(b < 10 * GIB ? 1 : 0);

/** One line: the estimate and its largest parts. */
export function describeEstimate(e: MemoryEstimate): string {
  const parts = e.parts.filter((p) => p.name !== "runtime").map((p) => `${p.name} ${gib(p.bytes)}`);
  return `~${gib(e.peak)} GiB (${parts.join(", ")})`;
}

/** Names the switch that turns the check off, in messages. */
export const MEMORY_CHECK_ENV = "SPZ_MEMORY_CHECK";

/**
 * Refuses with one ModelError line when the estimate exceeds this machine's memory, or what is free
 * now. `what` names the job ("full fine-tuning of llama-3.2-1b").
 */
export function checkMemory(what: string, e: MemoryEstimate, mem: MachineMemory = machineMemory(), lora = false): void {
  const limit = Math.min(mem.total, mem.available);
  if (e.peak <= limit) return;
  const has = mem.available < mem.total ? `this machine has ${gib(mem.total)} GiB, ${gib(mem.available)} GiB of it free now` : `this machine has ${gib(mem.total)} GiB`;
  const advice = lora ? "use a smaller --lora rank, a smaller batch or a smaller model" : "use --lora or a smaller model";
  throw new ModelError(`${what} needs ${describeEstimate(e)}; ${has}; ${advice} (${MEMORY_CHECK_ENV}=off skips this check)`);
}

/** Whether the check is on: off when SPZ_MEMORY_CHECK=off (or 0/false), or the caller says so. */
export function memoryCheckEnabled(option?: boolean): boolean {
  if (option === false) return false;
  const v = process.env[MEMORY_CHECK_ENV]?.toLowerCase();
  return !(v === "off" || v === "0" || v === "false");
}
