import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHUNK_BYTES, CheckpointError, actorStateOf, latestGoodCheckpoint, pruneCheckpoints, readCheckpoint, writeCheckpoint } from "../../src/runtime/checkpoint.ts";
import type { StateTensor, TensorState } from "../../src/runtime/actor-state.ts";
import { openCheckpoint } from "../../src/model/safetensors.ts";

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

describe("tensor files", () => {
  const tensors = (k: number): StateTensor[] => {
    // Two tensors viewing one buffer (a parameter group), then one of their own.
    const group = Float32Array.from({ length: 10 }, (_, i) => i * k + 0.5);
    return [
      { name: "model.a.weight", shape: [2, 3], data: group.subarray(0, 6) },
      { name: "model.b.weight", shape: [4], data: group.subarray(6, 10) },
      { name: "model.norm.weight", shape: [3], data: Float32Array.of(k, -k, 0.25) },
    ];
  };

  test("are written as safetensors that an independent reader loads, with the manifest's sha256 of the whole file", () => {
    const path = writeCheckpoint(join(dir, "t"), 3, { "learner/state.msgpack": new Uint8Array([1, 2]), "learner/params.safetensors": tensors(2) });
    const file = join(path, "learner", "params.safetensors");
    const manifest = JSON.parse(readFileSync(join(path, "manifest.json"), "utf8"));
    expect(manifest.files["learner/params.safetensors"].sha256).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
    const st = openCheckpoint(file);
    expect(Array.from(st.readF32("model.b.weight"))).toEqual(Array.from(tensors(2)[1]!.data));
    expect(Array.from(st.readF32("model.norm.weight"))).toEqual([2, -2, 0.25]);
    const ck = readCheckpoint(path);
    const state = actorStateOf(ck, "learner") as TensorState;
    expect(state.meta).toEqual(new Uint8Array([1, 2]));
    const back = state.files["params.safetensors"]!;
    expect(back.map((t) => [t.name, t.shape, Array.from(t.data)])).toEqual(tensors(2).map((t) => [t.name, t.shape, Array.from(t.data)]));
    // Tensors that shared one buffer when written share one buffer when read back.
    expect(back[0]!.data.buffer).toBe(back[1]!.data.buffer);
    expect(back[2]!.data.buffer).not.toBe(back[0]!.data.buffer);
  });

  test("a flipped byte in a tensor file is detected and the file is named", () => {
    const path = writeCheckpoint(join(dir, "u"), 1, { "learner/state.msgpack": new Uint8Array([1]), "learner/adam_m.safetensors": tensors(1) });
    const f = join(path, "learner", "adam_m.safetensors");
    const bytes = readFileSync(f);
    bytes[bytes.length - 3]! ^= 1;
    writeFileSync(f, bytes);
    expect(() => readCheckpoint(path)).toThrow(/file learner\/adam_m.safetensors is corrupted/);
  });

  test("a file larger than one write chunk streams out and back with the same hash", () => {
    const big = new Float32Array(CHUNK_BYTES / 4 + 1000);
    for (let i = 0; i < big.length; i += 997) big[i] = i;
    const path = writeCheckpoint(join(dir, "v"), 1, { "x/params.safetensors": [{ name: "w", shape: [big.length], data: big }] });
    const file = join(path, "x", "params.safetensors");
    const manifest = JSON.parse(readFileSync(join(path, "manifest.json"), "utf8"));
    expect(manifest.files["x/params.safetensors"].sha256).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
    const back = readCheckpoint(path).tensors["x/params.safetensors"]![0]!.data;
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(big.buffer))).toBe(true);
  });
});

test("pruning keeps the newest N checkpoints up to the one just written, never a newer leftover", () => {
  const root = join(dir, "prune");
  for (const s of [1, 2, 3, 4, 9]) writeCheckpoint(root, s, files(s));
  // ckpt 9 is a leftover past a resume from 4: writing 5 with N = 2 keeps 4 and 5, and 9 is not counted.
  writeCheckpoint(root, 5, files(5));
  expect(pruneCheckpoints(root, 2, 5).map((p) => p.slice(-13))).toEqual(["ckpt-00000001", "ckpt-00000002", "ckpt-00000003"]);
  expect(readdirSync(root).sort()).toEqual(["ckpt-00000004", "ckpt-00000005", "ckpt-00000009"]);
  expect(pruneCheckpoints(root, 0, 9)).toEqual([]);
  // Spared steps (read later by --eval-every) are neither deleted nor counted among the N kept.
  for (const s of [6, 7, 8]) writeCheckpoint(root, s, files(s));
  expect(pruneCheckpoints(root, 1, 8, (s) => s === 6).map((p) => p.slice(-13))).toEqual(["ckpt-00000004", "ckpt-00000005", "ckpt-00000007"]);
  expect(readdirSync(root).sort()).toEqual(["ckpt-00000006", "ckpt-00000008", "ckpt-00000009"]);
});
