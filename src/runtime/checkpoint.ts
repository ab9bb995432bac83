// Checkpoints: one folder per step, written into a temporary folder and renamed into place, so a
// crash leaves either the whole checkpoint or none of it. A manifest lists every file's sha256;
// reading verifies them all before anything is used.
//
// A file is bytes (an actor's small state) or a list of float tensors, written as safetensors and
// hashed while it is streamed out in chunks, so no buffer of the whole file is ever made: a
// learner's parameters and Adam state may be many GiB, past the 4 GiB a typed array may take.
// Reading streams it back the same way, into buffers of at most one parameter group each.

import { createHash, type Hash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync, writeSync, readSync, fstatSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ActorState, StateFloats, StateTensor } from "./actor-state.ts";

export const MANIFEST = "manifest.json";

export interface CheckpointManifest {
  format: 1;
  step: number;
  files: Record<string, { sha256: string; bytes: number }>;
  meta: Record<string, unknown>;
}

/** Bytes, or (a `.safetensors` file) float tensors. */
export type CheckpointFile = Uint8Array | readonly StateTensor[];

export interface Checkpoint {
  path: string;
  manifest: CheckpointManifest;
  /** The byte files, read and verified. */
  files: Record<string, Uint8Array>;
  /** The `.safetensors` files, streamed into float buffers and verified. */
  tensors: Record<string, readonly StateTensor[]>;
}

export class CheckpointError extends Error {
  override name = "CheckpointError";
  readonly exitCode = 2;
}

export function checkpointName(step: number): string {
  return `ckpt-${String(step).padStart(8, "0")}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function writeDurably(path: string, bytes: Uint8Array | string): void {
  writeFileSync(path, bytes);
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Bytes moved per write or read call, and hashed at once: large files never sit whole in memory. */
export const CHUNK_BYTES = 64 * 1024 * 1024;

/** The safetensors dtype of a float array. */
const ST_DTYPE = (a: StateFloats) => (a instanceof Float64Array ? "F64" : "F32");

/** A tensor's bytes: a view, never a copy. */
const bytesOf = (a: StateFloats) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Element counts of the runs of consecutive tensors that lie back to back in one buffer (a flat
 * parameter group): the reader packs them into buffers the same way, so a restore can take them
 * as its groups without another copy.
 */
function bufferRuns(tensors: readonly StateTensor[]): number[] {
  const runs: number[] = [];
  let prev: StateFloats | undefined;
  for (const t of tensors) {
    const d = t.data;
    const contiguous = prev !== undefined && d.buffer === prev.buffer && d.constructor === prev.constructor && d.byteOffset === prev.byteOffset + prev.byteLength;
    if (contiguous) runs[runs.length - 1] = runs[runs.length - 1]! + d.length;
    else runs.push(d.length);
    prev = d;
  }
  return runs;
}

/** Writes tensors as one safetensors file in chunks, hashing as it goes; returns sha256 and size. */
export function writeSafetensorsStreamed(path: string, tensors: readonly StateTensor[]): { sha256: string; bytes: number } {
  const header: Record<string, unknown> = { __metadata__: { "sp0.buffers": bufferRuns(tensors).join(",") } };
  let offset = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`checkpoint ${path}: tensor ${t.name} appears twice`);
    names.add(t.name);
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) throw new Error(`checkpoint ${path}: tensor ${t.name} has ${t.data.length} values for shape [${t.shape.join(", ")}]`);
    header[t.name] = { dtype: ST_DTYPE(t.data), shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // data starts 8-byte aligned
  const head = new Uint8Array(8 + Buffer.byteLength(json));
  new DataView(head.buffer).setBigUint64(0, BigInt(head.length - 8), true);
  head.set(new TextEncoder().encode(json), 8);
  const hash = createHash("sha256");
  const fd = openSync(path, "w");
  try {
    const put = (b: Uint8Array) => {
      for (let at = 0; at < b.length; ) at += writeSync(fd, b, at, Math.min(CHUNK_BYTES, b.length - at));
      hash.update(b);
    };
    put(head);
    for (const t of tensors) {
      const b = bytesOf(t.data);
      for (let at = 0; at < b.length; at += CHUNK_BYTES) put(b.subarray(at, Math.min(b.length, at + CHUNK_BYTES)));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest("hex"), bytes: head.length + offset };
}

/** Reads exactly `into.length` bytes at the file position, hashing them. */
function readInto(fd: number, into: Uint8Array, hash: Hash, file: string): void {
  for (let at = 0; at < into.length; ) {
    const n = readSync(fd, into, at, Math.min(CHUNK_BYTES, into.length - at), null);
    if (n <= 0) throw new CheckpointError(`${file} ends early`);
    hash.update(into.subarray(at, at + n));
    at += n;
  }
}

/**
 * Reads a safetensors file written by writeSafetensorsStreamed, verifying size and sha256 while
 * streaming it into fresh buffers (one per run of the writer's buffers, else one per tensor).
 */
export function readSafetensorsVerified(path: string, want: { sha256: string; bytes: number }, label = path): StateTensor[] {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size !== want.bytes) throw new CheckpointError(`${label} has ${size} bytes, manifest says ${want.bytes}`);
    const hash = createHash("sha256");
    const lenBytes = new Uint8Array(8);
    readInto(fd, lenBytes, hash, label);
    const hl = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
    if (!(hl > 1 && 8 + hl <= size)) throw new CheckpointError(`${label} is corrupted (bad safetensors header length ${hl})`);
    const headBytes = new Uint8Array(hl);
    readInto(fd, headBytes, hash, label);
    type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(new TextDecoder().decode(headBytes)) as Record<string, unknown>;
    } catch {
      throw new CheckpointError(`${label} is corrupted (its safetensors header is not JSON)`);
    }
    const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
    const entries = Object.entries(header)
      .filter(([k]) => k !== "__metadata__")
      .map(([name, e]) => ({ name, ...(e as Entry) }))
      .sort((a, b) => a.data_offsets[0] - b.data_offsets[0]);
    let end = 0;
    for (const e of entries) {
      if (e.dtype !== "F32" && e.dtype !== "F64") throw new CheckpointError(`${label}: tensor ${e.name} is ${e.dtype}; checkpoints hold F32 or F64`);
      const n = e.shape.reduce((a, b) => a * b, 1);
      if (e.data_offsets[0] !== end || e.data_offsets[1] - e.data_offsets[0] !== n * (e.dtype === "F64" ? 8 : 4)) throw new CheckpointError(`${label} is corrupted (tensor ${e.name} is not where the header says)`);
      end = e.data_offsets[1];
    }
    if (8 + hl + end !== size) throw new CheckpointError(`${label} is corrupted (${size} bytes, its header describes ${8 + hl + end})`);
    // Buffers as the writer packed them, when the runs fit the tensors; else one per tensor.
    const counts = entries.map((e) => e.shape.reduce((a, b) => a * b, 1));
    let runs = (metadata["sp0.buffers"] ?? "").split(",").filter(Boolean).map(Number);
    if (runs.reduce((a, b) => a + b, 0) !== counts.reduce((a, b) => a + b, 0) || entries.some((e) => e.dtype !== entries[0]!.dtype)) runs = counts;
    const out: StateTensor[] = [];
    let i = 0;
    for (const run of runs) {
      const Arr = entries[i]?.dtype === "F64" ? Float64Array : Float32Array;
      const buf = new Arr(run);
      let at = 0;
      while (at < run && i < entries.length) {
        const e = entries[i]!;
        if (at + counts[i]! > run) throw new CheckpointError(`${label} is corrupted (its buffer runs do not fit its tensors)`);
        const data = buf.subarray(at, at + counts[i]!);
        readInto(fd, bytesOf(data), hash, label);
        out.push({ name: e.name, shape: e.shape, data });
        at += counts[i]!;
        i++;
      }
    }
    if (hash.digest("hex") !== want.sha256) throw new CheckpointError(`${label} is corrupted (sha256 mismatch)`);
    return out;
  } finally {
    closeSync(fd);
  }
}

/** The checkpoint files of one actor's state: `<id>.bin`, or `<id>/state.msgpack` and its tensor files. */
export function actorStateFiles(id: string, state: ActorState): Record<string, CheckpointFile> {
  if (state instanceof Uint8Array) return { [`${id}.bin`]: state };
  const out: Record<string, CheckpointFile> = { [`${id}/${STATE_META}`]: state.meta };
  for (const [name, tensors] of Object.entries(state.files)) {
    if (!name.endsWith(".safetensors")) throw new Error(`checkpoint: tensor file ${name} of ${id} must end in .safetensors`);
    out[`${id}/${name}`] = tensors;
  }
  return out;
}

/** The bookkeeping bytes of a tensor state, beside its .safetensors files. */
export const STATE_META = "state.msgpack";

/** One actor's state in a read checkpoint, or undefined when it holds none. */
export function actorStateOf(ck: Checkpoint, id: string): ActorState | undefined {
  const bin = ck.files[`${id}.bin`];
  if (bin) return bin;
  const meta = ck.files[`${id}/${STATE_META}`];
  if (!meta) return undefined;
  const files: Record<string, readonly StateTensor[]> = {};
  for (const [name, f] of Object.entries(ck.tensors)) if (name.startsWith(`${id}/`)) files[name.slice(id.length + 1)] = f;
  return { meta, files };
}

/** The file that holds an actor's state in a checkpoint folder (for messages). */
export function actorStateFile(ck: Checkpoint, id: string): string {
  return ck.files[`${id}.bin`] ? `${id}.bin` : `${id}/${STATE_META}`;
}

/** Writes `<root>/ckpt-<step>/` atomically. Returns its path. */
export function writeCheckpoint(root: string, step: number, files: Record<string, CheckpointFile>, meta: Record<string, unknown> = {}): string {
  for (const name of Object.keys(files)) {
    if (!/^[\w-][\w.-]*(\/[\w-][\w.-]*)?$/.test(name) || name === MANIFEST) throw new Error(`checkpoint file name not allowed: ${name}`);
    if (!(files[name] instanceof Uint8Array) && !name.endsWith(".safetensors")) throw new Error(`checkpoint file ${name}: tensors go in a .safetensors file`);
  }
  mkdirSync(root, { recursive: true });
  const final = join(root, checkpointName(step));
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const manifest: CheckpointManifest = { format: 1, step, files: {}, meta };
  for (const [name, file] of Object.entries(files)) {
    const path = join(tmp, name);
    mkdirSync(dirname(path), { recursive: true });
    if (file instanceof Uint8Array) {
      writeDurably(path, file);
      manifest.files[name] = { sha256: sha256(file), bytes: file.length };
    } else {
      manifest.files[name] = writeSafetensorsStreamed(path, file);
    }
  }
  writeDurably(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  if (existsSync(final)) rmSync(final, { recursive: true });
  renameSync(tmp, final);
  return final;
}

/** Reads and verifies a checkpoint folder; any mismatch names the file. */
export function readCheckpoint(path: string): Checkpoint {
  const manifestPath = join(path, MANIFEST);
  if (!existsSync(manifestPath)) throw new CheckpointError(`checkpoint ${path} has no ${MANIFEST}: it is incomplete or not a checkpoint`);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as CheckpointManifest;
  } catch (e) {
    throw new CheckpointError(`checkpoint ${path}: ${MANIFEST} is not valid JSON (${(e as Error).message})`);
  }
  if (manifest.format !== 1 || typeof manifest.step !== "number" || typeof manifest.files !== "object") {
    throw new CheckpointError(`checkpoint ${path}: ${MANIFEST} is not a format-1 manifest`);
  }
  const files: Record<string, Uint8Array> = {};
  const tensors: Record<string, readonly StateTensor[]> = {};
  for (const [name, want] of Object.entries(manifest.files)) {
    const file = join(path, name);
    if (!existsSync(file)) throw new CheckpointError(`checkpoint ${path}: file ${name} is missing`);
    if (name.endsWith(".safetensors")) {
      tensors[name] = readSafetensorsVerified(file, want, `checkpoint ${path}: file ${name}`);
      continue;
    }
    const bytes = new Uint8Array(readFileSync(file));
    if (bytes.length !== want.bytes) throw new CheckpointError(`checkpoint ${path}: file ${name} has ${bytes.length} bytes, manifest says ${want.bytes}`);
    if (sha256(bytes) !== want.sha256) throw new CheckpointError(`checkpoint ${path}: file ${name} is corrupted (sha256 mismatch)`);
    files[name] = bytes;
  }
  return { path, manifest, files, tensors };
}

/**
 * Deletes all but the newest `keep` checkpoint folders up to step `upTo` (the one just written)
 * under `root`; keep <= 0 keeps them all. Folders past `upTo` (left by a run resumed from an
 * older checkpoint, and about to be rewritten) are not counted, so the new one is never deleted.
 * Steps `spare` names (e.g. those --eval-every reads in the background) are neither counted nor
 * deleted. Returns the deleted paths.
 */
export function pruneCheckpoints(root: string, keep: number, upTo = Infinity, spare: (step: number) => boolean = () => false): string[] {
  if (!(keep > 0) || !existsSync(root)) return [];
  const names = readdirSync(root)
    .filter((n) => /^ckpt-\d{8}$/.test(n) && Number(n.slice(5)) <= upTo && !spare(Number(n.slice(5))))
    .sort();
  const gone = names.slice(0, Math.max(0, names.length - keep)).map((n) => join(root, n));
  for (const p of gone) rmSync(p, { recursive: true, force: true });
  return gone;
}

export interface LatestCheckpoint {
  checkpoint: Checkpoint | null;
  /** Newer checkpoints that failed verification, with the reason. */
  skipped: { path: string; reason: string }[];
}

/**
 * The newest checkpoint under `root` that verifies and that `problem` (if given) accepts, e.g. one
 * whose files decode; the newer ones passed over are reported with the reason, not used.
 */
export function latestGoodCheckpoint(root: string, problem?: (ck: Checkpoint) => string | undefined): LatestCheckpoint {
  const skipped: LatestCheckpoint["skipped"] = [];
  if (!existsSync(root)) return { checkpoint: null, skipped };
  const names = readdirSync(root).filter((n) => /^ckpt-\d{8}$/.test(n)).sort().reverse();
  for (const n of names) {
    let ck: Checkpoint;
    try {
      ck = readCheckpoint(join(root, n));
    } catch (e) {
      skipped.push({ path: join(root, n), reason: (e as Error).message });
      continue;
    }
    const why = problem?.(ck);
    if (why === undefined) return { checkpoint: ck, skipped };
    skipped.push({ path: ck.path, reason: `checkpoint ${ck.path}: ${why}` });
  }
  return { checkpoint: null, skipped };
}
