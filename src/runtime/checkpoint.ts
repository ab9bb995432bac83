// Checkpoints: one folder per step, written into a temporary folder and renamed into place, so a
// crash leaves either the whole checkpoint or none of it. A manifest lists every file's sha256;
// reading verifies them all before anything is used.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from "node:fs";
import { join } from "node:path";

export const MANIFEST = "manifest.json";

export interface CheckpointManifest {
  format: 1;
  step: number;
  files: Record<string, { sha256: string; bytes: number }>;
  meta: Record<string, unknown>;
}

export interface Checkpoint {
  path: string;
  manifest: CheckpointManifest;
  files: Record<string, Uint8Array>;
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

/** Writes `<root>/ckpt-<step>/` atomically. Returns its path. */
export function writeCheckpoint(root: string, step: number, files: Record<string, Uint8Array>, meta: Record<string, unknown> = {}): string {
  for (const name of Object.keys(files)) {
    if (!/^[\w.-]+$/.test(name) || name === MANIFEST) throw new Error(`checkpoint file name not allowed: ${name}`);
  }
  mkdirSync(root, { recursive: true });
  const final = join(root, checkpointName(step));
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const manifest: CheckpointManifest = { format: 1, step, files: {}, meta };
  for (const [name, bytes] of Object.entries(files)) {
    writeDurably(join(tmp, name), bytes);
    manifest.files[name] = { sha256: sha256(bytes), bytes: bytes.length };
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
  for (const [name, want] of Object.entries(manifest.files)) {
    const file = join(path, name);
    if (!existsSync(file)) throw new CheckpointError(`checkpoint ${path}: file ${name} is missing`);
    const bytes = new Uint8Array(readFileSync(file));
    if (bytes.length !== want.bytes) throw new CheckpointError(`checkpoint ${path}: file ${name} has ${bytes.length} bytes, manifest says ${want.bytes}`);
    if (sha256(bytes) !== want.sha256) throw new CheckpointError(`checkpoint ${path}: file ${name} is corrupted (sha256 mismatch)`);
    files[name] = bytes;
  }
  return { path, manifest, files };
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
