/**
 * safetensors I/O for decoder checkpoints: `model.safetensors`, or a sharded
 * `model.safetensors.index.json` with its shards.
 *
 * Format (https://huggingface.co/docs/safetensors): u64 little-endian header length N, N bytes of
 * JSON `{"__metadata__": {..}, name: {dtype, shape, data_offsets: [begin, end]}}` with offsets
 * relative to the byte after the header, then the data. Little-endian data is assumed (every
 * target we run on).
 *
 * Reading validates every header, every offset and every file size (and, given an expected tensor
 * list, every name and shape) before any tensor data is returned, so a bad checkpoint fails as a
 * whole with one line naming the tensor and file. Tensor data is read lazily per tensor with
 * positioned reads, so multi-GB shards never sit in memory whole.
 *
 * Writing produces the layout of the reference Rust implementation: tensors ordered by dtype size
 * (largest first) then name, compact JSON with `__metadata__` first, header padded with spaces to a
 * multiple of 8, data contiguous without holes.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, writeFileSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ModelError, type DecoderConfig } from "./hf-config.ts";

export type SafetensorsDtype = "F32" | "F16" | "BF16";
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const ACCEPTED_DTYPES = "F32, F16, BF16";
/** The reference implementation's own limit; a larger header is a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's entry in a (possibly sharded) checkpoint. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute path of the file that holds it. */
  file: string;
  /** Absolute byte range in `file`. */
  begin: number;
  end: number;
}

/** A tensor in memory, in one of the supported storage dtypes, as raw little-endian bytes. */
export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

/** Input to the writer: float values (converted to `dtype` with round-to-nearest-even) or raw bytes. */
export type TensorToWrite =
  | { dtype: SafetensorsDtype; shape: number[]; data: Float32Array }
  | RawTensor;

// ---------------------------------------------------------------------------------------------
// dtype conversion

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** bf16 bits → float32 (exact). */
export function bf16ToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  // Int32Array: `<< 16` yields an int32, which an Int32Array stores without conversion (15x faster than Uint32Array).
  const o32 = new Int32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) o32[i] = bits[i] << 16;
  return out;
}

/** float32 → bf16 bits, round-to-nearest-even; NaN stays a quiet NaN with its sign. */
export function f32ToBf16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = u[i];
    if ((x & 0x7fffffff) > 0x7f800000) {
      out[i] = (x >>> 16) | 0x0040;
    } else {
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

const F16_TO_F32 = (() => {
  // 65536-entry table: decoding F16 checkpoints is then one lookup per value.
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/** f16 bits → float32 (exact). */
export function f16ToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = F16_TO_F32[bits[i]];
  return out;
}

/** One float32 → f16 bits, round-to-nearest-even, overflow → ±Inf, NaN → quiet NaN. */
function f32BitsToF16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand, rounding to nearest even.
    if (e < -10) return sign;
    const full = man | 0x800000;
    const shift = 14 - e;
    const half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && half & 1) ? 1 : 0));
}

/** float32 → f16 bits, round-to-nearest-even. */
export function f32ToF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32Scratch[0] = values[i];
    out[i] = f32BitsToF16(u32Scratch[0]);
  }
  return out;
}

/** Raw little-endian bytes of `dtype` → float32 values (a fresh, aligned array). */
export function decodeToF32(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  // Copy first: tensor data in a file need not be aligned to its element size.
  const buf = bytes.slice().buffer;
  if (dtype === "F32") return new Float32Array(buf);
  const bits = new Uint16Array(buf);
  return dtype === "BF16" ? bf16ToF32(bits) : f16ToF32(bits);
}

/** float32 values → raw little-endian bytes of `dtype`, rounding to nearest even. */
export function encodeFromF32(dtype: SafetensorsDtype, values: Float32Array): Uint8Array {
  if (dtype === "F32") return new Uint8Array(values.slice().buffer);
  const bits = dtype === "BF16" ? f32ToBf16(values) : f32ToF16(values);
  return new Uint8Array(bits.buffer);
}

// ---------------------------------------------------------------------------------------------
// reading

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function readExactly(fd: number, length: number, position: number, file: string, what: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n <= 0) throw new ModelError(`${file}: truncated while reading ${what} (got ${done} of ${length} bytes)`);
    done += n;
  }
  return out;
}

/** Parsed header of one safetensors file, fully validated against the file's size. */
export interface SafetensorsHeader {
  file: string;
  metadata: Record<string, string>;
  tensors: TensorInfo[];
  /** Total file size in bytes. */
  size: number;
}

/**
 * Reads and validates one file's header: sane header length, JSON shape, supported dtypes,
 * offsets consistent with dtype × shape, inside the file, and not overlapping.
 */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  if (!existsSync(file)) throw new ModelError(`${file}: not found`);
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new ModelError(`${file}: truncated: ${size} bytes, a safetensors file starts with an 8-byte header length`);
    const lenBytes = readExactly(fd, 8, 0, file, "the header length");
    const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (n > BigInt(MAX_HEADER_BYTES)) {
      throw new ModelError(`${file}: header length ${n} is absurd (limit ${MAX_HEADER_BYTES}); not a safetensors file or corrupt`);
    }
    const headerLen = Number(n);
    if (8 + headerLen > size) {
      throw new ModelError(`${file}: truncated: header length ${headerLen} runs past the end of the ${size}-byte file`);
    }
    const headerText = new TextDecoder("utf-8", { fatal: false }).decode(readExactly(fd, headerLen, 8, file, "the header"));
    let header: unknown;
    try {
      header = JSON.parse(headerText);
    } catch (e) {
      throw new ModelError(`${file}: header is not valid JSON (${(e as Error).message})`);
    }
    if (typeof header !== "object" || header === null || Array.isArray(header)) {
      throw new ModelError(`${file}: header is not a JSON object`);
    }
    const dataStart = 8 + headerLen;
    const dataLen = size - dataStart;
    const metadata: Record<string, string> = {};
    const tensors: TensorInfo[] = [];
    for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
      if (name === "__metadata__") {
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
          throw new ModelError(`${file}: __metadata__ is not an object of strings`);
        }
        for (const [k, v] of Object.entries(entry)) {
          if (typeof v !== "string") throw new ModelError(`${file}: __metadata__.${k} is not a string`);
          metadata[k] = v;
        }
        continue;
      }
      const where = `${file}: tensor ${name}`;
      if (typeof entry !== "object" || entry === null) throw new ModelError(`${where}: header entry is not an object`);
      const { dtype, shape, data_offsets: offs } = entry as Record<string, unknown>;
      if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
        throw new ModelError(`${where}: dtype ${JSON.stringify(dtype)} is not supported; accepted: ${ACCEPTED_DTYPES}`);
      }
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new ModelError(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
      }
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[0] > offs[1]) {
        throw new ModelError(`${where}: data_offsets ${JSON.stringify(offs)} is not [begin, end] with 0 <= begin <= end`);
      }
      const dt = dtype as SafetensorsDtype;
      const want = numel(shape) * DTYPE_BYTES[dt];
      const [b, e] = offs as [number, number];
      if (e - b !== want) {
        throw new ModelError(`${where}: data_offsets [${b},${e}] span ${e - b} bytes but ${dt} ${fmtShape(shape)} needs ${want}`);
      }
      if (e > dataLen) {
        throw new ModelError(`${where}: data_offsets [${b},${e}] run past the end of the data (${dataLen} bytes; file truncated?)`);
      }
      tensors.push({ name, dtype: dt, shape: shape.slice(), file, begin: dataStart + b, end: dataStart + e });
    }
    const sorted = tensors.slice().sort((x, y) => x.begin - y.begin || x.end - y.end);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].begin < sorted[i - 1].end) {
        throw new ModelError(`${file}: tensor ${sorted[i].name} overlaps tensor ${sorted[i - 1].name} in the data section`);
      }
    }
    return { file, metadata, tensors, size };
  } finally {
    closeSync(fd);
  }
}

/** Options for `openCheckpoint`. */
export interface OpenCheckpointOptions {
  /** Every tensor that must be present, with its shape (see `expectedTensors`). */
  expected?: ReadonlyMap<string, readonly number[]>;
  /** Tensors that may be present (shape still checked) and are otherwise ignored. */
  optional?: ReadonlyMap<string, readonly number[]>;
}

/**
 * A validated checkpoint: every header parsed and checked, every tensor's bytes known to lie in
 * its file. Reading a tensor is a positioned read of its bytes (files are not kept open).
 */
export class Checkpoint {
  /** Tensor entries by name, in name order. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** `__metadata__` of the first file (HF writes `{"format":"pt"}`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The files the tensors live in. */
  readonly files: readonly string[];

  constructor(tensors: Map<string, TensorInfo>, metadata: Record<string, string>, files: string[]) {
    this.tensors = new Map([...tensors].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    this.metadata = metadata;
    this.files = files;
  }

  private info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new ModelError(`checkpoint has no tensor ${name} (files: ${this.files.map((f) => basename(f)).join(", ")})`);
    return t;
  }

  /** The stored bytes, unconverted. */
  readRaw(name: string): RawTensor {
    const t = this.info(name);
    const fd = openSync(t.file, "r");
    try {
      return { dtype: t.dtype, shape: t.shape.slice(), bytes: readExactly(fd, t.end - t.begin, t.begin, t.file, `tensor ${name}`) };
    } finally {
      closeSync(fd);
    }
  }

  /** The tensor as float32 (exact for F16/BF16; F32 as stored). */
  readF32(name: string): Float32Array {
    const r = this.readRaw(name);
    return decodeToF32(r.dtype, r.bytes);
  }

  /** Every tensor as float32, by name. For small models and tests; large ones read per tensor. */
  readAllF32(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const name of this.tensors.keys()) out.set(name, this.readF32(name));
    return out;
  }
}

const SINGLE = "model.safetensors";
const INDEX = "model.safetensors.index.json";

/**
 * Opens `model.safetensors` or `model.safetensors.index.json` (+ shards) in `dir`, or the
 * single file / index file named by `path`. Validates all headers, the index's weight map, and (if
 * given) the expected tensor names and shapes before returning.
 */
export function openCheckpoint(path: string, opts: OpenCheckpointOptions = {}): Checkpoint {
  let file = path;
  if (!path.endsWith(".json") && !path.endsWith(".safetensors")) {
    const single = join(path, SINGLE);
    const index = join(path, INDEX);
    if (existsSync(index)) file = index;
    else if (existsSync(single)) file = single;
    else throw new ModelError(`${path}: no ${SINGLE} or ${INDEX}; accepted: a Hugging Face model folder with safetensors weights`);
  }
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const files: string[] = [];
  if (file.endsWith(".json")) {
    const weightMap = readIndex(file);
    const shardNames = [...new Set(weightMap.values())].sort();
    for (const shard of shardNames) {
      const h = readSafetensorsHeader(join(dirname(file), shard));
      if (files.length === 0) metadata = h.metadata;
      files.push(h.file);
      for (const t of h.tensors) {
        const mapped = weightMap.get(t.name);
        if (mapped === undefined) throw new ModelError(`${h.file}: tensor ${t.name} is not in the weight_map of ${file}`);
        if (mapped !== shard) throw new ModelError(`${h.file}: tensor ${t.name} is mapped to ${mapped} in ${file}`);
        if (tensors.has(t.name)) throw new ModelError(`${h.file}: tensor ${t.name} appears twice`);
        tensors.set(t.name, t);
      }
    }
    for (const [name, shard] of weightMap) {
      if (!tensors.has(name)) throw new ModelError(`${join(dirname(file), shard)}: tensor ${name} is in the weight_map of ${basename(file)} but not in the shard`);
    }
  } else {
    const h = readSafetensorsHeader(file);
    metadata = h.metadata;
    files.push(h.file);
    for (const t of h.tensors) tensors.set(t.name, t);
  }
  if (opts.expected) checkTensorSet(tensors, opts.expected, opts.optional ?? new Map(), files);
  return new Checkpoint(tensors, metadata, files);
}

function readIndex(file: string): Map<string, string> {
  if (!existsSync(file)) throw new ModelError(`${file}: not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(readAll(file)));
  } catch (e) {
    throw new ModelError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const wm = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== "object" || wm === null || Array.isArray(wm)) {
    throw new ModelError(`${file}: weight_map is missing; accepted: {"weight_map": {tensor: shard file}}`);
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    // Shards live beside the index; a path elsewhere is a malformed (or hostile) index.
    if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\") || shard === "" || shard.startsWith(".")) {
      throw new ModelError(`${file}: weight_map entry for tensor ${name} is ${JSON.stringify(shard)}; accepted: a file name beside the index`);
    }
    out.set(name, shard);
  }
  return out;
}

function readAll(file: string): Uint8Array {
  const fd = openSync(file, "r");
  try {
    return readExactly(fd, fstatSync(fd).size, 0, file, "the file");
  } finally {
    closeSync(fd);
  }
}

function checkTensorSet(
  found: ReadonlyMap<string, TensorInfo>,
  expected: ReadonlyMap<string, readonly number[]>,
  optional: ReadonlyMap<string, readonly number[]>,
  files: readonly string[],
): void {
  const where = files.length === 1 ? files[0] : `${dirname(files[0])} (${files.length} shards)`;
  const missing = [...expected.keys()].filter((n) => !found.has(n));
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : "";
    throw new ModelError(`${where}: missing tensor ${missing[0]}${more}; expected from the config`);
  }
  for (const [name, t] of found) {
    const want = expected.get(name) ?? optional.get(name);
    if (want === undefined) {
      throw new ModelError(`${t.file}: extra tensor ${name} ${fmtShape(t.shape)} that the config does not use`);
    }
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      throw new ModelError(`${t.file}: tensor ${name} has shape ${fmtShape(t.shape)}; expected ${fmtShape(want)} from the config`);
    }
  }
}

/**
 * The tensors an HF checkpoint of this config holds, name → shape (row-major, [out, in] for
 * projections as nn.Linear stores them), in the order HF's module tree lists them.
 */
export function expectedTensors(cfg: DecoderConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  m.set("model.embed_tokens.weight", [cfg.vocabSize, h]);
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    m.set(`${p}.self_attn.q_proj.weight`, [q, h]);
    if (cfg.qkvBias) m.set(`${p}.self_attn.q_proj.bias`, [q]);
    m.set(`${p}.self_attn.k_proj.weight`, [kv, h]);
    if (cfg.qkvBias) m.set(`${p}.self_attn.k_proj.bias`, [kv]);
    m.set(`${p}.self_attn.v_proj.weight`, [kv, h]);
    if (cfg.qkvBias) m.set(`${p}.self_attn.v_proj.bias`, [kv]);
    m.set(`${p}.self_attn.o_proj.weight`, [h, q]);
    if (cfg.oBias) m.set(`${p}.self_attn.o_proj.bias`, [h]);
    if (cfg.qkNorm) {
      m.set(`${p}.self_attn.q_norm.weight`, [cfg.headDim]);
      m.set(`${p}.self_attn.k_norm.weight`, [cfg.headDim]);
    }
    m.set(`${p}.mlp.gate_proj.weight`, [cfg.intermediateSize, h]);
    m.set(`${p}.mlp.up_proj.weight`, [cfg.intermediateSize, h]);
    m.set(`${p}.mlp.down_proj.weight`, [h, cfg.intermediateSize]);
    m.set(`${p}.input_layernorm.weight`, [h]);
    m.set(`${p}.post_attention_layernorm.weight`, [h]);
  }
  m.set("model.norm.weight", [h]);
  if (!cfg.tieWordEmbeddings) m.set("lm_head.weight", [cfg.vocabSize, h]);
  return m;
}

/**
 * Tensors a checkpoint may carry beyond `expectedTensors` without being wrong: a tied model's
 * `lm_head.weight` (some exporters save the tied copy; it is ignored, the embedding is used).
 */
export function optionalTensors(cfg: DecoderConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  if (cfg.tieWordEmbeddings) m.set("lm_head.weight", [cfg.vocabSize, cfg.hiddenSize]);
  return m;
}

/** Opens a model folder's weights and checks them against the config (see `openCheckpoint`). */
export function openModelWeights(dir: string, cfg: DecoderConfig): Checkpoint {
  return openCheckpoint(dir, { expected: expectedTensors(cfg), optional: optionalTensors(cfg) });
}

// ---------------------------------------------------------------------------------------------
// writing

// The reference implementation's Dtype enum order (…, F16, BF16, …, F32, …), which it sorts by.
const WRITE_RANK: Record<SafetensorsDtype, number> = { F16: 0, BF16: 1, F32: 2 };

function toRaw(name: string, t: TensorToWrite): RawTensor {
  if (!(t.dtype in DTYPE_BYTES)) throw new ModelError(`tensor ${name}: dtype ${JSON.stringify(t.dtype)} cannot be written; accepted: ${ACCEPTED_DTYPES}`);
  const n = numel(t.shape);
  if ("data" in t) {
    if (t.data.length !== n) throw new ModelError(`tensor ${name}: ${t.data.length} values for shape ${fmtShape(t.shape)} (${n})`);
    return { dtype: t.dtype, shape: t.shape.slice(), bytes: encodeFromF32(t.dtype, t.data) };
  }
  if (t.bytes.length !== n * DTYPE_BYTES[t.dtype]) {
    throw new ModelError(`tensor ${name}: ${t.bytes.length} bytes for ${t.dtype} ${fmtShape(t.shape)} (${n * DTYPE_BYTES[t.dtype]})`);
  }
  return t;
}

/**
 * Serializes tensors to safetensors bytes. Order: dtype descending in the reference
 * implementation's dtype order (F32, BF16, F16), then name, as it writes them; equal inputs always
 * give identical bytes.
 */
export function serializeSafetensors(
  tensors: Iterable<[string, TensorToWrite]> | ReadonlyMap<string, TensorToWrite>,
  metadata: Record<string, string> = { format: "pt" },
): Uint8Array {
  const raws: [string, RawTensor][] = [];
  const seen = new Set<string>();
  for (const [name, t] of tensors) {
    if (name === "__metadata__" || seen.has(name)) throw new ModelError(`tensor name ${name} is reserved or repeated`);
    seen.add(name);
    raws.push([name, toRaw(name, t)]);
  }
  raws.sort((a, b) => WRITE_RANK[b[1].dtype] - WRITE_RANK[a[1].dtype] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let off = 0;
  for (const [name, r] of raws) {
    header[name] = { dtype: r.dtype, shape: r.shape, data_offsets: [off, off + r.bytes.length] };
    off += r.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let p = 8 + padded;
  for (const [, r] of raws) {
    out.set(r.bytes, p);
    p += r.bytes.length;
  }
  return out;
}

/** Writes a safetensors file atomically (temp file + rename), so readers never see half a file. */
export function writeSafetensors(
  file: string,
  tensors: Iterable<[string, TensorToWrite]> | ReadonlyMap<string, TensorToWrite>,
  metadata: Record<string, string> = { format: "pt" },
): void {
  const bytes = serializeSafetensors(tensors, metadata);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
