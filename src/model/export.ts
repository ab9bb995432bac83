/**
 * Trained models out as Hugging Face folders. A run's checkpoint becomes either
 * - a model folder: config.json (the base model's, its dtype set to what is written),
 *   generation_config.json, model.safetensors or sharded model-0000i-of-0000n.safetensors with
 *   model.safetensors.index.json, and the base model's tokenizer files; or
 * - for a LoRA run, a PEFT adapter folder (adapter_config.json, adapter_model.safetensors, F32 as
 *   PEFT saves them), or with `mergeLora` the merged model folder W + (alpha/r)·B·A.
 *
 * Weights are written tensor by tensor: each shard's header first, then each tensor's bytes, so
 * neither a second copy of the model nor a buffer of a whole shard is ever held. The folder is
 * written beside its destination and renamed into place, so a crash never leaves half an export.
 *
 * What a checkpoint holds is read only through `checkpointWeights` (the trained tensors by name):
 * the rest of this file does not depend on the checkpoint format.
 */
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ParamLayout } from "../engine/params.ts";
import { decodeValue } from "../protocol/codec.ts";
import type { RunConfig } from "../runtime/config.ts";
import { openRunDir, readSavedRun } from "../runtime/run-dir.ts";
import { decoderParamSpecs, decoderTensorSpecs } from "./decoder.ts";
import { type DecoderConfig, ModelError, type TorchDtype, loadDecoderConfig } from "./hf-config.ts";
import { type LoraConfig, type LoraTarget, loraAName, loraBName, loraParamSpecs } from "./lora.ts";
import { writePeftAdapters } from "./peft.ts";
import { type SafetensorsDtype, encodeFromF32, openCheckpoint, openModelWeights } from "./safetensors.ts";

/** transformers' default `max_shard_size` ("5GB" = 5·10⁹ bytes). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/** Files a tokenizer may come with (transformers' and sentencepiece's names); those present are copied. */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "tokenizer.model",
  "vocab.json",
  "merges.txt",
  "chat_template.jinja",
  "chat_template.json",
] as const;

const TORCH_TO_SAFETENSORS: Record<TorchDtype, SafetensorsDtype> = { float32: "F32", bfloat16: "BF16", float16: "F16" };
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

// ---------------------------------------------------------------------------------------------
// the trained weights of a checkpoint

/** A checkpoint's trained tensors, by name: HF names for full fine-tuning, PEFT names for LoRA. */
export interface TrainedWeights {
  readonly step: number;
  /** The run's LoRA settings; null for full fine-tuning. */
  readonly lora: LoraConfig | null;
  /** Every trained tensor, in the trainer's layout order. */
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[] }[];
  /** One tensor as float32 (a fresh array). */
  read(name: string): Float32Array;
}

/** The run's LoRA settings as the trainer takes them. */
export function runLora(run: RunConfig): LoraConfig | null {
  const l = run.model.lora;
  return l ? { rank: l.rank, alpha: l.alpha, ...(l.targets ? { targets: l.targets as LoraTarget[] } : {}) } : null;
}

/** The learner's trained parameters in a checkpoint folder, as safetensors (HF or PEFT names). */
export const PARAMS_FILE = "learner/params.safetensors";
/** Checkpoints written before the learner's tensors went to their own files. */
const LEGACY_LEARNER = "learner.bin";
const LEGACY_MAGIC = "sp0-model-snapshot-1";

interface ManifestEntry {
  sha256: string;
  bytes: number;
}

function readManifest(ckpt: string): { step: number; files: Record<string, ManifestEntry> } {
  const path = join(ckpt, "manifest.json");
  if (!existsSync(path)) throw new ModelError(`checkpoint ${ckpt} has no manifest.json: it is incomplete or not a checkpoint`);
  let m: { step?: unknown; files?: unknown };
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as typeof m;
  } catch (e) {
    throw new ModelError(`checkpoint ${ckpt}: manifest.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof m.step !== "number" || typeof m.files !== "object" || m.files === null) throw new ModelError(`checkpoint ${ckpt}: manifest.json lists no step and files`);
  return { step: m.step, files: m.files as Record<string, ManifestEntry> };
}

/** Checks a file's size and sha256 against the manifest, hashing it in chunks (never whole in memory). */
function verifyFile(ckpt: string, name: string, want: ManifestEntry): void {
  const file = join(ckpt, name);
  if (!existsSync(file)) throw new ModelError(`checkpoint ${ckpt}: file ${name} is missing`);
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    if (size !== want.bytes) throw new ModelError(`checkpoint ${ckpt}: file ${name} has ${size} bytes, manifest says ${want.bytes}`);
    const hash = createHash("sha256");
    const chunk = new Uint8Array(Math.min(size, 64 << 20) || 1);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
      if (n <= 0) throw new ModelError(`checkpoint ${ckpt}: file ${name} ends early`);
      hash.update(chunk.subarray(0, n));
      at += n;
    }
    if (hash.digest("hex") !== want.sha256) throw new ModelError(`checkpoint ${ckpt}: file ${name} is corrupted (sha256 mismatch)`);
  } finally {
    closeSync(fd);
  }
}

/**
 * The trained weights in checkpoint folder `ckpt` of a model run with configuration `run`,
 * verified against the checkpoint's manifest. Only the parameters are read, never Adam's state:
 * from `learner/params.safetensors`, one tensor at a time; or, in checkpoints written before it,
 * from the model snapshot inside learner.bin (a JSON header, then the flat parameters in the
 * trainer's layout, then Adam's m and v).
 */
export function checkpointWeights(ckpt: string, run: RunConfig): TrainedWeights {
  const cfg = loadDecoderConfig(run.model.dir);
  const lora = runLora(run);
  const specs = lora ? loraParamSpecs(cfg, lora) : decoderParamSpecs(cfg);
  const manifest = readManifest(ckpt);
  const what = `${run.model.dir}${lora ? ` with LoRA r=${lora.rank}` : ""}`;
  const params = manifest.files[PARAMS_FILE];
  if (params) {
    verifyFile(ckpt, PARAMS_FILE, params);
    const expected = new Map(specs.map((s) => [s.name, [...s.shape]]));
    let st: ReturnType<typeof openCheckpoint>;
    try {
      st = openCheckpoint(join(ckpt, PARAMS_FILE), { expected });
    } catch (e) {
      throw new ModelError(`checkpoint ${ckpt}: its parameters do not fit ${what}: ${(e as Error).message}`);
    }
    return { step: manifest.step, lora, tensors: specs.map((s) => ({ name: s.name, shape: s.shape })), read: (name) => st.readF32(name) };
  }
  const legacy = manifest.files[LEGACY_LEARNER];
  if (!legacy) throw new ModelError(`checkpoint ${ckpt} holds no model parameters (no ${PARAMS_FILE} or ${LEGACY_LEARNER}); accepted: a checkpoint of a model run`);
  verifyFile(ckpt, LEGACY_LEARNER, legacy);
  const layout = new ParamLayout(specs);
  const learner = decodeValue(new Uint8Array(readFileSync(join(ckpt, LEGACY_LEARNER)))) as { backend?: unknown };
  const backend = learner.backend instanceof Uint8Array ? (decodeValue(learner.backend) as { model?: unknown }) : null;
  const snap = backend?.model;
  if (!(snap instanceof Uint8Array)) throw new ModelError(`checkpoint ${ckpt}: learner.bin holds no model state; accepted: a checkpoint of a model run`);
  const hl = new DataView(snap.buffer, snap.byteOffset, snap.byteLength).getUint32(0, true);
  const h = JSON.parse(new TextDecoder().decode(snap.subarray(4, 4 + hl))) as { magic?: string; dtype?: string; total?: number };
  if (h.magic !== LEGACY_MAGIC || h.total !== layout.total || (h.dtype !== "float32" && h.dtype !== "float64")) {
    throw new ModelError(`checkpoint ${ckpt}: its model state (${h.total} ${h.dtype} parameters) does not fit ${what} (${layout.total} parameters)`);
  }
  const width = h.dtype === "float64" ? 8 : 4;
  const start = snap.byteOffset + 4 + hl;
  return {
    step: manifest.step,
    lora,
    tensors: specs.map((s) => ({ name: s.name, shape: s.shape })),
    read(name) {
      const s = layout.slot(name);
      // Copy the slot's bytes: the snapshot's parameters need not be aligned to their width.
      const raw = snap.buffer.slice(start + s.offset * width, start + (s.offset + s.size) * width);
      return width === 8 ? Float32Array.from(new Float64Array(raw)) : new Float32Array(raw);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// which checkpoint

export interface ExportSource {
  /** The run folder. */
  runDir: string;
  config: RunConfig;
  /** The checkpoint folder exported. */
  checkpoint: string;
  weights: TrainedWeights;
  /** Newer checkpoints passed over, with the reason. */
  skipped: { path: string; reason: string }[];
}

const CHECKPOINT_NAME = /^ckpt-\d{8}$/;
const isCheckpointDir = (p: string) => CHECKPOINT_NAME.test(basename(resolve(p))) || existsSync(join(p, "manifest.json"));

/**
 * A run folder (its newest checkpoint whose parameters verify) or one checkpoint folder of a run.
 * Refuses, in one line, what has nothing to export: no such folder, a simulator run, a run without
 * a usable checkpoint.
 */
export function resolveExportSource(path: string): ExportSource {
  const checkpoint = existsSync(path) && isCheckpointDir(path);
  const runPath = checkpoint ? dirname(dirname(resolve(path))) : path;
  if (!checkpoint && !existsSync(path) && !existsSync(join("runs", path))) throw new ModelError(`${path}: no such run or checkpoint folder; accepted: a run folder written by train, or one of its checkpoints/ckpt-NNNNNNNN folders`);
  const runDir = openRunDir(runPath);
  const config = readSavedRun(runDir).config;
  if (config.backend !== "model") throw new ModelError(`run ${runDir.path} trained the simulator: it has no model to export; accepted: runs of train with --backend model`);
  if (checkpoint) return { runDir: runDir.path, config, checkpoint: resolve(path), weights: checkpointWeights(resolve(path), config), skipped: [] };
  const root = join(runDir.path, "checkpoints");
  const names = existsSync(root) ? readdirSync(root).filter((n) => CHECKPOINT_NAME.test(n)).sort().reverse() : [];
  const skipped: ExportSource["skipped"] = [];
  for (const n of names) {
    const ck = join(root, n);
    try {
      return { runDir: runDir.path, config, checkpoint: ck, weights: checkpointWeights(ck, config), skipped };
    } catch (e) {
      skipped.push({ path: ck, reason: (e as Error).message.split("\n")[0]! });
    }
  }
  const why = skipped.length ? `none of its ${skipped.length} checkpoints is usable (${skipped[0]!.reason})` : "it has no checkpoint (train writes one every --checkpoint-every steps and at the end)";
  throw new ModelError(`run ${runDir.path}: nothing to export: ${why}`);
}

// ---------------------------------------------------------------------------------------------
// streaming safetensors

/** One tensor to write: its name, shape and a reader called once, when its bytes are written. */
export interface TensorSource {
  readonly name: string;
  readonly shape: readonly number[];
  read(): Float32Array;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Parses a shard size as transformers does: bytes, or a number with KB/MB/GB (powers of 10) or
 * KiB/MiB/GiB (powers of 2).
 */
export function parseShardSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(text);
  const units: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
  const bytes = m ? Math.floor(Number(m[1]) * units[(m[2] ?? "B").toUpperCase()]!) : NaN;
  if (!(bytes >= 1)) throw new ModelError(`--max-shard-size ${JSON.stringify(text)} is not a size; accepted: bytes or a number with KB, MB, GB, KiB, MiB or GiB, e.g. 5GB`);
  return bytes;
}

/**
 * Writes one safetensors file: the header (tensors in name order, as the reference writer orders
 * a single dtype, padded with spaces to a multiple of 8), then each tensor's bytes as it is read.
 */
function writeSafetensorsStreaming(file: string, tensors: readonly TensorSource[], dtype: SafetensorsDtype): void {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let off = 0;
  for (const t of sorted) {
    const n = numel(t.shape) * DTYPE_BYTES[dtype];
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [off, off + n] };
    off += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  const fd = openSync(file, "w");
  try {
    writeAll(fd, head);
    for (const t of sorted) {
      const values = t.read();
      if (values.length !== numel(t.shape)) throw new ModelError(`export: tensor ${t.name} has ${values.length} values for shape [${t.shape.join(",")}]`);
      writeAll(fd, encodeFromF32(dtype, values));
    }
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Writes `model.safetensors`, or past `maxShardBytes` shards named as transformers names them
 * plus `model.safetensors.index.json`. Tensors fill shards in the given order; a new shard starts
 * when the next tensor would overflow the current one (a tensor larger than the limit gets a shard
 * of its own). Returns the files written.
 */
export function writeModelSafetensors(dir: string, tensors: readonly TensorSource[], dtype: SafetensorsDtype, maxShardBytes = DEFAULT_MAX_SHARD_BYTES): string[] {
  const shards: TensorSource[][] = [];
  let size = 0;
  let total = 0;
  for (const t of tensors) {
    const n = numel(t.shape) * DTYPE_BYTES[dtype];
    if (shards.length === 0 || (size > 0 && size + n > maxShardBytes)) {
      shards.push([]);
      size = 0;
    }
    shards.at(-1)!.push(t);
    size += n;
    total += n;
  }
  if (shards.length <= 1) {
    writeSafetensorsStreaming(join(dir, "model.safetensors"), shards[0] ?? [], dtype);
    return ["model.safetensors"];
  }
  const pad = (i: number) => String(i).padStart(5, "0");
  const names = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  shards.forEach((s, i) => {
    writeSafetensorsStreaming(join(dir, names[i]!), s, dtype);
    for (const t of s) weightMap[t.name] = names[i]!;
  });
  const sortedMap = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]!]));
  const parameters = tensors.reduce((a, t) => a + numel(t.shape), 0);
  const index = { metadata: { total_parameters: parameters, total_size: total }, weight_map: sortedMap };
  writeFileSync(join(dir, "model.safetensors.index.json"), `${JSON.stringify(index, null, 2)}\n`);
  return [...names, "model.safetensors.index.json"];
}

// ---------------------------------------------------------------------------------------------
// the folder

export type ExportDtype = "auto" | TorchDtype;

export interface ExportOptions {
  /** The folder to write. */
  out: string;
  /** LoRA runs: the merged model instead of the adapter folder. */
  mergeLora?: boolean;
  /** Output dtype; auto: the base model's torch_dtype. */
  dtype?: ExportDtype;
  maxShardBytes?: number;
  /** Replace a non-empty `out`. */
  force?: boolean;
}

export interface ExportResult {
  out: string;
  kind: "model" | "adapter";
  /** Of the weights written (adapters: float32). */
  dtype: TorchDtype;
  step: number;
  checkpoint: string;
  files: string[];
}

const within = (outer: string, inner: string) => {
  const o = resolve(outer);
  const i = resolve(inner);
  return i === o || i.startsWith(o.endsWith(sep) ? o : o + sep);
};

/** A merged tensor: W + (alpha/r)·B·A in float32 when the tensor is a LoRA target. */
function mergedWeight(name: string, base: Float32Array, adapters: ReadonlyMap<string, Float32Array>, lora: LoraConfig, shape: readonly number[]): Float32Array {
  if (!name.endsWith(".weight")) return base;
  const module = name.slice(0, -".weight".length);
  const a = adapters.get(loraAName(module));
  const b = adapters.get(loraBName(module));
  if (!a || !b) return base;
  const [outF, inF] = shape as [number, number];
  const r = lora.rank;
  const scale = Math.fround(lora.alpha / lora.rank);
  const row = new Float32Array(inF);
  for (let o = 0; o < outF; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k]!;
      const aRow = k * inF;
      for (let i = 0; i < inF; i++) row[i] += bk * a[aRow + i]!;
    }
    const w = o * inF;
    for (let i = 0; i < inF; i++) base[w + i] = Math.fround(base[w + i]! + Math.fround(row[i]! * scale));
  }
  return base;
}

/** config.json of the base model with its dtype field(s) set to `dtype`. */
function exportedConfig(baseDir: string, dtype: TorchDtype): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(join(baseDir, "config.json"), "utf8")) as Record<string, unknown>;
  const hasNew = Object.hasOwn(raw, "dtype");
  if (Object.hasOwn(raw, "torch_dtype") || !hasNew) raw.torch_dtype = dtype;
  if (hasNew) raw.dtype = dtype;
  return raw;
}

/**
 * generation_config.json: the base model's own when it has one, kept as transformers'
 * save_pretrained keeps it (its eos list holds end-of-turn ids config.json lacks, e.g. Qwen3's
 * [151645, 151643], and its sampling settings are the model's recommended ones). A base without
 * one gets config.json's token ids and the run's sampling settings.
 */
function generationConfig(baseDir: string, cfg: DecoderConfig, run: RunConfig): Record<string, unknown> {
  const path = join(baseDir, "generation_config.json");
  if (existsSync(path)) {
    try {
      return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new ModelError(`${path}: not valid JSON (${(e as Error).message}); accepted: the generation_config.json transformers saves`);
    }
  }
  const g: Record<string, unknown> = {};
  if (cfg.bosTokenId !== null) g.bos_token_id = cfg.bosTokenId;
  if (cfg.eosTokenIds.length) g.eos_token_id = cfg.eosTokenIds.length === 1 ? cfg.eosTokenIds[0] : cfg.eosTokenIds;
  if (cfg.padTokenId !== null) g.pad_token_id = cfg.padTokenId;
  const m = run.model;
  if (m.temperature > 0) Object.assign(g, { do_sample: true, temperature: m.temperature, top_p: m.topP, top_k: m.topK });
  else g.do_sample = false;
  return g;
}

function copyTokenizer(baseDir: string, out: string): string[] {
  const copied: string[] = [];
  for (const f of TOKENIZER_FILES) {
    if (!existsSync(join(baseDir, f))) continue;
    copyFileSync(join(baseDir, f), join(out, f));
    copied.push(f);
  }
  return copied;
}

/** Writes the export of `src` into `opts.out` (see the file comment). */
export function exportCheckpoint(src: ExportSource, opts: ExportOptions): ExportResult {
  const out = resolve(opts.out);
  const baseDir = resolve(src.config.model.dir);
  if (within(out, src.runDir) || within(out, baseDir) || within(join(src.runDir, "checkpoints"), out)) {
    throw new ModelError(`--out ${opts.out} would replace the run folder, its checkpoints or the base model it exports from; choose another folder`);
  }
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new ModelError(`--out ${opts.out} exists and is not a folder; choose another path`);
    if (readdirSync(out).length > 0 && !opts.force) throw new ModelError(`--out ${opts.out} exists and is not empty; choose another folder, or pass --force to replace it`);
  }
  const cfg = loadDecoderConfig(baseDir);
  const weights = src.weights;
  const lora = weights.lora;
  const adapterOnly = lora !== null && !opts.mergeLora;
  const dtype: TorchDtype = adapterOnly ? "float32" : !opts.dtype || opts.dtype === "auto" ? cfg.torchDtype : opts.dtype;

  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.export-${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const files: string[] = [];
    if (adapterOnly) {
      // Adapters are small: one flat buffer in the trainer's layout, written by peft.ts.
      const layout = new ParamLayout(weights.tensors.map((t) => ({ name: t.name, shape: t.shape })));
      const flat = new Float32Array(layout.total);
      for (const s of layout.slots) flat.set(weights.read(s.spec.name), s.offset);
      writePeftAdapters(tmp, layout, flat, lora, baseDir);
      files.push("adapter_config.json", "adapter_model.safetensors");
    } else {
      let tensors: TensorSource[];
      if (lora) {
        const adapters = new Map(weights.tensors.map((t) => [t.name, weights.read(t.name)]));
        const base = openModelWeights(baseDir, cfg);
        tensors = decoderTensorSpecs(cfg).map((s) => ({ name: s.name, shape: s.shape, read: () => mergedWeight(s.name, base.readF32(s.name), adapters, lora, s.shape) }));
      } else {
        tensors = decoderTensorSpecs(cfg).map((s) => ({ name: s.name, shape: s.shape, read: () => weights.read(s.name) }));
      }
      files.push(...writeModelSafetensors(tmp, tensors, TORCH_TO_SAFETENSORS[dtype], opts.maxShardBytes));
      writeFileSync(join(tmp, "config.json"), `${JSON.stringify(exportedConfig(baseDir, dtype), null, 2)}\n`);
      writeFileSync(join(tmp, "generation_config.json"), `${JSON.stringify(generationConfig(baseDir, cfg, src.config), null, 2)}\n`);
      files.push("config.json", "generation_config.json");
    }
    files.push(...copyTokenizer(baseDir, tmp));
    if (existsSync(out)) rmSync(out, { recursive: true });
    renameSync(tmp, out);
    return { out, kind: adapterOnly ? "adapter" : "model", dtype, step: weights.step, checkpoint: src.checkpoint, files };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Exports a run folder's newest usable checkpoint, or the checkpoint folder given. */
export function exportModel(runOrCheckpoint: string, opts: ExportOptions): ExportResult & { skipped: ExportSource["skipped"] } {
  const src = resolveExportSource(runOrCheckpoint);
  return { ...exportCheckpoint(src, opts), skipped: src.skipped };
}

/**
 * The finished run's model as `<run>/final/`: a model folder, or for LoRA the adapter folder, from
 * the checkpoint the run wrote at its last step.
 */
export function writeFinalModel(runDir: string): ExportResult {
  return exportModel(runDir, { out: join(runDir, "final"), force: true });
}

/**
 * After a finished model run: writes `<run>/final/` and says where. The run itself succeeded, so a
 * failure here is a warning with the command that retries it.
 */
export function writeFinalModelOrWarn(runDir: string, say: (line: string) => void): void {
  try {
    const r = writeFinalModel(runDir);
    say(`final model (step ${r.step}): ${r.out} (${r.kind === "adapter" ? "PEFT adapter folder" : `${r.dtype} Hugging Face model folder`})`);
  } catch (e) {
    console.error(`warning: final model not written: ${(e as Error).message.split("\n")[0]}; retry with bun run export ${runDir} --out ${join(runDir, "final")} --force`);
  }
}
