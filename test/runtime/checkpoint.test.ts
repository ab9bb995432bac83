import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointError, latestGoodCheckpoint, readCheckpoint, writeCheckpoint } from "../../src/runtime/checkpoint.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = (k: number) => ({ "params.bin": new Uint8Array([1, 2, 3, k]), "state.json": new TextEncoder().encode(`{"k":${k}}`) });

test("a written checkpoint reads back verified, with its manifest", () => {
  const root = join(dir, "a");
  const path = writeCheckpoint(root, 7, files(7), { version: 7 });
  const ck = readCheckpoint(path);
  expect(ck.manifest.step).toBe(7);
  expect(ck.manifest.meta).toEqual({ version: 7 });
  expect(ck.files["params.bin"]).toEqual(new Uint8Array([1, 2, 3, 7]));
  expect(readdirSync(root)).toEqual(["ckpt-00000007"]);
});

test("a flipped byte is detected and the file is named", () => {
  const path = writeCheckpoint(join(dir, "b"), 1, files(1));
  const f = join(path, "params.bin");
  const bytes = readFileSync(f);
  bytes[0] ^= 1;
  writeFileSync(f, bytes);
  expect(() => readCheckpoint(path)).toThrow(CheckpointError);
  expect(() => readCheckpoint(path)).toThrow(/params.bin is corrupted/);
});

test("resume picks the newest checkpoint that verifies and reports the corrupted one", () => {
  const root = join(dir, "c");
  writeCheckpoint(root, 1, files(1));
  const bad = writeCheckpoint(root, 2, files(2));
  rmSync(join(bad, "state.json"));
  // A crash mid-write leaves only a .tmp folder, which is never taken for a checkpoint.
  mkdirSync(join(root, "ckpt-00000003.tmp"));
  const latest = latestGoodCheckpoint(root);
  expect(latest.checkpoint!.manifest.step).toBe(1);
  expect(latest.skipped).toHaveLength(1);
  expect(latest.skipped[0]!.reason).toMatch(/state.json is missing/);
});

test("rewriting a step replaces it whole and leaves no temporary folder", () => {
  const root = join(dir, "d");
  writeCheckpoint(root, 5, files(5));
  writeCheckpoint(root, 5, files(6));
  expect(readCheckpoint(join(root, "ckpt-00000005")).files["params.bin"]![3]).toBe(6);
  expect(existsSync(join(root, "ckpt-00000005.tmp"))).toBe(false);
});
