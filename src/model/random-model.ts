/**
 * A random-weight Hugging Face model folder from a published `config.json` and a real tokenizer:
 * the real shapes, dtypes and tokenizers of models like Qwen3-0.6B or Llama-3.2-1B, tested here
 * without downloading their weights.
 *
 * Weights follow transformers' `_init_weights` for these models: every projection and the embedding
 * drawn from N(0, initializer_range) (0.02 when the config does not say), every RMSNorm weight 1.
 * Normals come from a 65,536-quantile table indexed by 16 random bits (inverse-CDF sampling; tails
 * cut at ±4.3σ): finer than bf16 can store, and fast enough to write a 1B model in seconds.
 * The file is written tensor by tensor (header first, then each tensor's bytes in chunks), so a
 * model of several GB never sits in memory whole. Same config, seed and dtype: identical bytes.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type DecoderConfig, ModelError, loadDecoderConfig } from "./hf-config.ts";
import { type SafetensorsDtype, encodeFromF32, expectedTensors } from "./safetensors.ts";

export interface RandomModelOptions {
  readonly seed?: number;
  /** Storage dtype of the weights; default: the config's torch_dtype (bf16 for the published models). */
  readonly dtype?: SafetensorsDtype;
  /** Overrides of config.json fields (e.g. `{ num_hidden_layers: 2 }` for a reduced-layer variant). */
  readonly configOverrides?: Readonly<Record<string, unknown>>;
}

export interface RandomModelResult {
  readonly dir: string;
  readonly config: DecoderConfig;
  readonly dtype: SafetensorsDtype;
  readonly parameters: number;
  readonly bytes: number;
}

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"] as const;
const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Values generated and encoded per write. */
const CHUNK = 1 << 20;

function storageDtype(cfg: DecoderConfig): SafetensorsDtype {
  return cfg.torchDtype === "bfloat16" ? "BF16" : cfg.torchDtype === "float16" ? "F16" : "F32";
}

/**
 * Writes `outDir` with config.json (the source config, overrides applied, torch_dtype matching the
 * weights), model.safetensors and the tokenizer files of `tokenizerDir`. Refuses a tokenizer with
 * more ids than the config's vocab_size (ids past the embedding would crash scoring).
 */
export function buildRandomModel(configDir: string, tokenizerDir: string, outDir: string, opts: RandomModelOptions = {}): RandomModelResult {
  const rawPath = join(configDir, "config.json");
  if (!existsSync(rawPath)) throw new ModelError(`${rawPath}: not found; a random model is built from a config.json`);
  for (const f of TOKENIZER_FILES) if (!existsSync(join(tokenizerDir, f))) throw new ModelError(`${join(tokenizerDir, f)}: not found; accepted: a folder with tokenizer.json and tokenizer_config.json`);
  const raw = { ...(JSON.parse(readFileSync(rawPath, "utf8")) as Record<string, unknown>), ...(opts.configOverrides ?? {}) };
  mkdirSync(outDir, { recursive: true });
  // Parse through the same validator a load uses, from the file we are about to ship.
  writeFileSync(join(outDir, "config.json"), `${JSON.stringify(raw, null, 2)}\n`);
  let cfg = loadDecoderConfig(outDir);
  const dtype = opts.dtype ?? storageDtype(cfg);
  const torchDtype = dtype === "BF16" ? "bfloat16" : dtype === "F16" ? "float16" : "float32";
  if (raw.torch_dtype !== torchDtype) {
    raw.torch_dtype = torchDtype;
    writeFileSync(join(outDir, "config.json"), `${JSON.stringify(raw, null, 2)}\n`);
    cfg = loadDecoderConfig(outDir);
  }
  const tokVocab = tokenizerVocab(join(tokenizerDir, "tokenizer.json"));
  if (tokVocab > cfg.vocabSize) throw new ModelError(`${tokenizerDir}: the tokenizer has ${tokVocab} ids but ${rawPath} has vocab_size ${cfg.vocabSize}`);
  for (const f of TOKENIZER_FILES) copyFileSync(join(tokenizerDir, f), join(outDir, f));

  const std = typeof raw.initializer_range === "number" ? raw.initializer_range : 0.02;
  const { parameters, bytes } = writeRandomSafetensors(join(outDir, "model.safetensors"), cfg, dtype, opts.seed ?? 0, std);
  return { dir: outDir, config: cfg, dtype, parameters, bytes };
}

/** One past the largest id of a tokenizer.json (model vocab and added tokens). */
function tokenizerVocab(file: string): number {
  const tj = JSON.parse(readFileSync(file, "utf8")) as { model?: { vocab?: Record<string, number> | [string, number][] }; added_tokens?: { id: number }[] };
  let max = -1;
  const vocab = tj.model?.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1; // Unigram: [piece, score] pairs, id = index
  else if (vocab) for (const id of Object.values(vocab)) if (id > max) max = id;
  for (const t of tj.added_tokens ?? []) if (t.id > max) max = t.id;
  return max + 1;
}

/**
 * Streams a safetensors file in the reference writer's layout (tensors by name, compact JSON
 * header with __metadata__ first, padded to 8 bytes). Tensors are drawn in name order from one
 * seeded stream.
 */
function writeRandomSafetensors(file: string, cfg: DecoderConfig, dtype: SafetensorsDtype, seed: number, std: number): { parameters: number; bytes: number } {
  const shapes = [...expectedTensors(cfg)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let off = 0;
  let parameters = 0;
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype, shape, data_offsets: [off, off + n * BYTES[dtype]] };
    off += n * BYTES[dtype];
    parameters += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);

  const table = encodeFromF32(dtype, normalQuantiles(std));
  const ones = encodeFromF32(dtype, new Float32Array(CHUNK).fill(1));
  const width = BYTES[dtype];
  const buf = new Uint8Array(CHUNK * width);
  // Each value is one stored element copied from the table: 2 or 4 bytes, by element views.
  const t16 = width === 2 ? new Uint16Array(table.buffer) : null;
  const t32 = width === 4 ? new Uint32Array(table.buffer) : null;
  const o16 = new Uint16Array(buf.buffer);
  const o32 = new Uint32Array(buf.buffer);
  let s = seed >>> 0 || 0x9e3779b9;
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    writeAll(fd, head);
    for (const [name, shape] of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const isNorm = name.endsWith("norm.weight");
      for (let done = 0; done < n; done += CHUNK) {
        const m = Math.min(CHUNK, n - done);
        if (isNorm) {
          writeAll(fd, ones.subarray(0, m * width));
          continue;
        }
        for (let i = 0; i < m; i++) {
          // xorshift32; the top 16 bits pick the quantile.
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          const k = (s >>> 16) & 0xffff;
          if (t16) o16[i] = t16[k];
          else o32[i] = t32![k];
        }
        writeAll(fd, buf.subarray(0, m * width));
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return { parameters, bytes: 8 + padded + off };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** std · Φ⁻¹((i + ½) / 65536) for i < 65536: equally likely quantiles of N(0, std²). */
function normalQuantiles(std: number): Float32Array {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = std * probit((i + 0.5) / 65536);
  return t;
}

/** Acklam's inverse normal CDF (relative error below 1.2e-9). */
function probit(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -probit(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
