// The exporter's streaming safetensors writer: the same bytes as the whole-buffer writer of
// safetensors.ts (the reference implementation's layout), and transformers' sharding rule.

import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeModelSafetensors, type TensorSource } from "../../src/model/export.ts";
import { openCheckpoint, readSafetensorsHeader, serializeSafetensors } from "../../src/model/safetensors.ts";

const dir = mkdtempSync(join(tmpdir(), "spz-export-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tensors(): TensorSource[] {
  const make = (name: string, shape: number[], seed: number): TensorSource => ({
    name,
    shape,
    read: () => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed * 1000 + i) * 3.7),
  });
  // 400 B, 4000 B, 40 B, 1200 B in F32.
  return [make("model.embed_tokens.weight", [10, 10], 1), make("model.layers.0.mlp.up_proj.weight", [40, 25], 2), make("model.norm.weight", [10], 3), make("lm_head.weight", [30, 10], 4)];
}

test("one file: byte for byte what safetensors.ts serializes, for each dtype", () => {
  for (const dtype of ["F32", "BF16", "F16"] as const) {
    const out = join(dir, `single-${dtype}`);
    mkdirSync(out);
    expect(writeModelSafetensors(out, tensors(), dtype)).toEqual(["model.safetensors"]);
    const want = serializeSafetensors(tensors().map((t) => [t.name, { dtype, shape: [...t.shape], data: t.read() }] as const));
    expect(Buffer.from(readFileSync(join(out, "model.safetensors"))).equals(Buffer.from(want))).toBe(true);
  }
});

test("shards fill in order up to the limit; a tensor over the limit gets a shard of its own; the index covers every tensor", () => {
  const out = join(dir, "sharded");
  mkdirSync(out);
  const files = writeModelSafetensors(out, tensors(), "F32", 2000);
  // 400 | 4000 (over the limit, alone) | 40 + 1200
  expect(files).toEqual(["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", "model.safetensors.index.json"]);
  expect(readSafetensorsHeader(join(out, files[0]!)).tensors.map((t) => t.name)).toEqual(["model.embed_tokens.weight"]);
  expect(readSafetensorsHeader(join(out, files[1]!)).tensors.map((t) => t.name)).toEqual(["model.layers.0.mlp.up_proj.weight"]);
  expect(readSafetensorsHeader(join(out, files[2]!)).tensors.map((t) => t.name).sort()).toEqual(["lm_head.weight", "model.norm.weight"]);
  const index = JSON.parse(readFileSync(join(out, "model.safetensors.index.json"), "utf8"));
  expect(index.metadata).toEqual({ total_parameters: 100 + 1000 + 10 + 300, total_size: 5640 });
  expect(Object.keys(index.weight_map)).toEqual(["lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "model.norm.weight"]);
  // The sharded folder reads back (through the index) to the values written.
  const ck = openCheckpoint(out);
  for (const t of tensors()) expect(ck.readF32(t.name)).toEqual(t.read());
  expect(readdirSync(out).sort()).toEqual([...files].sort());
});
