import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDecoderConfig, ModelError, parseDecoderConfig } from "../../src/model/hf-config.ts";
import {
  bf16ToF32,
  expectedTensors,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  openCheckpoint,
  openModelWeights,
  readSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
  type RawTensor,
  type SafetensorsDtype,
  type TensorToWrite,
} from "../../src/model/safetensors.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const FIX = join(import.meta.dir, "../../fixtures");
const tmp = mkdtempSync(join(tmpdir(), "safetensors-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function tmpFile(bytes: Uint8Array | string, name = `t${n++}.safetensors`): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

function modelError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).exitCode).toBe(2);
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  }
  throw new Error("expected a ModelError");
}

/** A hand-made file: header JSON (unpadded) + data bytes. */
function handMade(header: unknown, data: Uint8Array, headerLen?: bigint): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function f32bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}

describe("fixtures", () => {
  for (const [dir, dtype] of [["tiny-qwen3", "F32"], ["tiny-llama", "BF16"]] as const) {
    test(`${dir}: every tensor matches expectedTensors(config) in ${dtype}`, () => {
      const cfg = loadDecoderConfig(join(FIX, dir));
      const ck = openModelWeights(join(FIX, dir), cfg);
      const want = expectedTensors(cfg);
      expect(new Set(ck.tensors.keys())).toEqual(new Set(want.keys()));
      for (const [name, t] of ck.tensors) {
        expect(t.shape).toEqual(want.get(name)!);
        expect(t.dtype).toBe(dtype);
      }
      expect(ck.metadata).toEqual({ format: "pt" });
    });

    test(`${dir}: decoded weights equal the reference script's sampled values exactly`, () => {
      const ck = openCheckpoint(join(FIX, dir));
      const exp = JSON.parse(readFileSync(join(FIX, dir, "expected.json"), "utf8"));
      expect(exp.weights_dtype).toBe(dtype);
      expect(exp.weight_samples.length).toBeGreaterThan(0);
      for (const s of exp.weight_samples as { tensor: string; flat_indices: number[]; values: number[] }[]) {
        const v = ck.readF32(s.tensor);
        expect(s.flat_indices.map((i) => v[i])).toEqual(s.values);
      }
    });

    test(`${dir}: re-serializing what was read gives the reference writer's bytes`, () => {
      const file = join(FIX, dir, "model.safetensors");
      const ck = openCheckpoint(file);
      const tensors = new Map<string, RawTensor>([...ck.tensors.keys()].map((k) => [k, ck.readRaw(k)]));
      expect(Buffer.from(serializeSafetensors(tensors)).equals(readFileSync(file))).toBe(true);
    });
  }

  test("qwen3 fixture has q/k norms and no lm_head; llama fixture has lm_head and GQA k/v of one head", () => {
    const q = openCheckpoint(join(FIX, "tiny-qwen3"));
    expect(q.tensors.get("model.layers.1.self_attn.q_norm.weight")!.shape).toEqual([16]);
    expect(q.tensors.has("lm_head.weight")).toBe(false);
    const l = openCheckpoint(join(FIX, "tiny-llama"));
    expect(l.tensors.get("lm_head.weight")!.shape).toEqual([660, 64]);
    expect(l.tensors.get("model.layers.0.self_attn.k_proj.weight")!.shape).toEqual([16, 64]);
    expect(l.tensors.has("model.layers.0.self_attn.q_norm.weight")).toBe(false);
  });
});

describe("expectedTensors", () => {
  const base = { model_type: "llama", hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 10 };
  test("adds q/k/v/o biases with attention_bias and lm_head when untied", () => {
    const m = expectedTensors(parseDecoderConfig({ ...base, attention_bias: true }));
    expect(m.get("model.layers.0.self_attn.q_proj.bias")).toEqual([8]);
    expect(m.get("model.layers.0.self_attn.k_proj.bias")).toEqual([4]);
    expect(m.get("model.layers.0.self_attn.o_proj.bias")).toEqual([8]);
    expect(m.get("lm_head.weight")).toEqual([10, 8]);
    expect(m.get("model.layers.0.mlp.down_proj.weight")).toEqual([8, 12]);
    expect(m.size).toBe(1 + 4 + 4 + 3 + 2 + 1 + 1);
  });
  test("qwen2 has q/k/v biases but no o_proj bias", () => {
    const m = expectedTensors(parseDecoderConfig({ ...base, model_type: "qwen2" }));
    expect(m.has("model.layers.0.self_attn.v_proj.bias")).toBe(true);
    expect(m.has("model.layers.0.self_attn.o_proj.bias")).toBe(false);
  });
});

describe("dtype conversion", () => {
  test("f32 → bf16 rounds to nearest, ties to even", () => {
    const one = 0x3f80;
    const vals = new Float32Array([
      1 + 2 ** -8, // tie, even below → 1
      1 + 3 * 2 ** -8, // tie, odd below → up
      1 + 2 ** -8 + 2 ** -20, // above the tie → up
      -(1 + 3 * 2 ** -8),
      3.4028234663852886e38, // f32 max rounds to bf16 Inf
      Infinity,
      0,
      -0,
      1e-40, // subnormal f32 keeps its top bits
    ]);
    expect(Array.from(f32ToBf16(vals))).toEqual([one, one + 2, one + 1, 0x8000 | (one + 2), 0x7f80, 0x7f80, 0, 0x8000, f32bits(1e-40) >>> 16]);
    const nan = f32ToBf16(new Float32Array([NaN]));
    expect(Number.isNaN(bf16ToF32(nan)[0])).toBe(true);
  });

  test("f32 → f16 rounds to nearest even, saturates to Inf past 65520, and keeps subnormals", () => {
    const vals = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519.99, 65520, 2 ** -24, 2 ** -25, 2 ** -25 + 2 ** -35, 3 * 2 ** -25, -2, 6.1e-5, 70000, -1e10]);
    const back = Array.from(f16ToF32(f32ToF16(vals)));
    expect(back.slice(0, 10)).toEqual([1, 1 + 2 * 2 ** -10, 65504, 65504, Infinity, 2 ** -24, 0, 2 ** -24, 2 * 2 ** -24, -2]);
    expect(back.slice(11)).toEqual([Infinity, -Infinity]);
    expect(back[10]).toBe(1023 * 2 ** -24); // 6.1e-5 is below the smallest normal: nearest subnormal
  });

  test("bf16 and f16 decoding is exact for every bit pattern that is not NaN", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const b = bf16ToF32(all);
    const h = f16ToF32(all);
    const rb = f32ToBf16(b);
    const rh = f32ToF16(h);
    const wrong: string[] = [];
    for (let i = 0; i < 65536; i++) {
      if (!Number.isNaN(b[i]) && rb[i] !== i) wrong.push(`bf16 ${i}`);
      if (!Number.isNaN(h[i]) && rh[i] !== i) wrong.push(`f16 ${i}`);
    }
    expect(wrong).toEqual([]);
    expect(h[0x3c00]).toBe(1);
    expect(h[0x0001]).toBe(2 ** -24);
    expect(b[0xc000]).toBe(-2);
  });
});

describe("write → read", () => {
  const values = new Float32Array(Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 7) - 3)));
  for (const dtype of ["F32", "F16", "BF16"] as SafetensorsDtype[]) {
    test(`${dtype}: bytes and values survive a round trip, and a second write is byte-identical`, () => {
      const tensors = new Map<string, TensorToWrite>([
        ["b.weight", { dtype, shape: [4, 6], data: values }],
        ["a.scalar", { dtype, shape: [], data: new Float32Array([2.5]) }],
        ["c.empty", { dtype, shape: [0, 3], data: new Float32Array(0) }],
      ]);
      const file = join(tmp, `rt-${dtype}.safetensors`);
      writeSafetensors(file, tensors);
      const bytes = readFileSync(file);
      const headerLen = Number(bytes.readBigUInt64LE(0));
      expect(headerLen % 8).toBe(0);
      const headerText = bytes.subarray(8, 8 + headerLen).toString("utf8");
      expect(headerText.startsWith('{"__metadata__":{"format":"pt"},"a.scalar"')).toBe(true);
      expect(/^[^ ]* *$/.test(headerText.replace(/"[^"]*"/g, '""'))).toBe(true); // padding is trailing spaces only

      const ck = openCheckpoint(file);
      expect(ck.tensors.get("b.weight")).toMatchObject({ dtype, shape: [4, 6] });
      const got = ck.readF32("b.weight");
      const want = dtype === "F32" ? values : dtype === "F16" ? f16ToF32(f32ToF16(values)) : bf16ToF32(f32ToBf16(values));
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(Array.from(ck.readF32("a.scalar"))).toEqual([2.5]);
      expect(ck.readF32("c.empty").length).toBe(0);

      const again = serializeSafetensors(new Map([...ck.tensors.keys()].map((k) => [k, ck.readRaw(k)])));
      expect(Buffer.from(again).equals(bytes)).toBe(true);
    });
  }

  test("mixed dtypes are laid out F32, BF16, F16, then by name, as the reference implementation does", () => {
    const one = new Float32Array([1]);
    const bytes = serializeSafetensors([
      ["a", { dtype: "F16", shape: [1], data: one }],
      ["b", { dtype: "BF16", shape: [1], data: one }],
      ["z", { dtype: "F32", shape: [1], data: one }],
      ["c", { dtype: "F32", shape: [1], data: one }],
    ]);
    const h = readSafetensorsHeader(tmpFile(bytes));
    expect(h.tensors.map((t) => t.name)).toEqual(["c", "z", "b", "a"]);
  });

  test("refuses a value count that does not fit the shape and an unsupported dtype", () => {
    expect(modelError(() => serializeSafetensors([["w", { dtype: "F32", shape: [2, 2], data: new Float32Array(3) }]]))).toMatch(/tensor w: 3 values for shape \[2,2\]/);
    const bad = { dtype: "F64", shape: [1], data: new Float32Array(1) } as unknown as TensorToWrite;
    expect(modelError(() => serializeSafetensors([["w", bad]]))).toMatch(/tensor w: dtype "F64" cannot be written; accepted: F32, F16, BF16/);
  });
});

describe("read errors", () => {
  const good = () => serializeSafetensors([["x.weight", { dtype: "F32", shape: [2, 3], data: new Float32Array(6) }], ["y.weight", { dtype: "BF16", shape: [4], data: new Float32Array(4) }]]);

  test("a truncated file names the tensor whose data runs past the end", () => {
    const b = good();
    const f = tmpFile(b.subarray(0, b.length - 3));
    expect(modelError(() => readSafetensorsHeader(f))).toMatch(/tensor y.weight: data_offsets \[24,32\] run past the end of the data \(29 bytes; file truncated\?\)/);
  });

  test("a file shorter than its header, or than 8 bytes, is called truncated", () => {
    const b = good();
    expect(modelError(() => readSafetensorsHeader(tmpFile(b.subarray(0, 40))))).toMatch(/truncated: header length \d+ runs past the end of the 40-byte file/);
    expect(modelError(() => readSafetensorsHeader(tmpFile(b.subarray(0, 5))))).toMatch(/truncated: 5 bytes/);
  });

  test("an absurd header length is refused before anything is allocated", () => {
    const f = tmpFile(handMade({}, new Uint8Array(0), 1n << 62n));
    expect(modelError(() => readSafetensorsHeader(f))).toMatch(/header length 4611686018427387904 is absurd/);
  });

  test("a header offset past the end of the file names the tensor and file", () => {
    const f = tmpFile(handMade({ w: { dtype: "F32", shape: [2], data_offsets: [1000, 1008] } }, new Uint8Array(8)));
    const msg = modelError(() => readSafetensorsHeader(f));
    expect(msg).toContain(f);
    expect(msg).toMatch(/tensor w: data_offsets \[1000,1008\] run past the end/);
  });

  test("offsets inconsistent with dtype × shape are refused", () => {
    const f = tmpFile(handMade({ w: { dtype: "BF16", shape: [2, 2], data_offsets: [0, 16] } }, new Uint8Array(16)));
    expect(modelError(() => readSafetensorsHeader(f))).toMatch(/tensor w: data_offsets \[0,16\] span 16 bytes but BF16 \[2,2\] needs 8/);
  });

  test("overlapping tensors are refused", () => {
    const f = tmpFile(handMade({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)));
    expect(modelError(() => readSafetensorsHeader(f))).toMatch(/tensor b overlaps tensor a/);
  });

  test("an unsupported dtype names the tensor and the accepted dtypes", () => {
    const f = tmpFile(handMade({ __metadata__: { format: "pt" }, "model.norm.weight": { dtype: "F64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)));
    expect(modelError(() => readSafetensorsHeader(f))).toMatch(/tensor model.norm.weight: dtype "F64" is not supported; accepted: F32, F16, BF16/);
  });

  test("a header that is not JSON, and a missing file, are one-line errors", () => {
    const h = new TextEncoder().encode("{nope");
    const b = new Uint8Array(8 + h.length);
    new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
    b.set(h, 8);
    expect(modelError(() => readSafetensorsHeader(tmpFile(b)))).toMatch(/header is not valid JSON/);
    expect(modelError(() => openCheckpoint(join(tmp, "no-such-dir")))).toMatch(/no model.safetensors or model.safetensors.index.json/);
  });
});

describe("checking against the config", () => {
  const cfg = loadDecoderConfig(join(FIX, "tiny-qwen3"));
  const src = openCheckpoint(join(FIX, "tiny-qwen3"));
  const raw = () => new Map<string, TensorToWrite>([...src.tensors.keys()].map((k) => [k, src.readRaw(k)]));
  const dirWith = (tensors: Map<string, TensorToWrite>): string => {
    const d = mkdtempSync(join(tmp, "model-"));
    writeSafetensors(join(d, "model.safetensors"), tensors);
    return d;
  };

  test("a missing tensor is named, with how many others are missing", () => {
    const t = raw();
    t.delete("model.layers.1.mlp.up_proj.weight");
    t.delete("model.norm.weight");
    expect(modelError(() => openModelWeights(dirWith(t), cfg))).toMatch(/missing tensor model.layers.1.mlp.up_proj.weight \(and 1 more\)/);
  });

  test("an extra tensor is named", () => {
    const t = raw();
    t.set("model.layers.2.mlp.up_proj.weight", { dtype: "F32", shape: [1], data: new Float32Array(1) });
    expect(modelError(() => openModelWeights(dirWith(t), cfg))).toMatch(/extra tensor model.layers.2.mlp.up_proj.weight \[1\] that the config does not use/);
  });

  test("a misshaped tensor is named with both shapes", () => {
    const t = raw();
    t.set("model.layers.0.self_attn.k_proj.weight", { dtype: "F32", shape: [64, 32], data: new Float32Array(2048) });
    expect(modelError(() => openModelWeights(dirWith(t), cfg))).toMatch(/tensor model.layers.0.self_attn.k_proj.weight has shape \[64,32\]; expected \[32,64\] from the config/);
  });

  test("a tied model may carry lm_head.weight, but only in the right shape", () => {
    const t = raw();
    t.set("lm_head.weight", { dtype: "F32", shape: [660, 64], data: new Float32Array(660 * 64) });
    expect(openModelWeights(dirWith(t), cfg).tensors.has("lm_head.weight")).toBe(true);
    t.set("lm_head.weight", { dtype: "F32", shape: [64, 660], data: new Float32Array(660 * 64) });
    expect(modelError(() => openModelWeights(dirWith(t), cfg))).toMatch(/tensor lm_head.weight has shape \[64,660\]/);
  });
});

describe("sharded checkpoints", () => {
  const src = openCheckpoint(join(FIX, "tiny-llama"));
  const cfg = loadDecoderConfig(join(FIX, "tiny-llama"));
  const names = [...src.tensors.keys()];
  const half = Math.floor(names.length / 2);
  const shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];

  function shardedDir(edit?: (weightMap: Record<string, string>) => void): string {
    const d = mkdtempSync(join(tmp, "sharded-"));
    const weightMap: Record<string, string> = {};
    [names.slice(0, half), names.slice(half)].forEach((part, i) => {
      writeSafetensors(join(d, shardNames[i]), new Map(part.map((k) => [k, src.readRaw(k)])));
      for (const k of part) weightMap[k] = shardNames[i];
    });
    edit?.(weightMap);
    writeFileSync(join(d, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    copyFileSync(join(FIX, "tiny-llama", "config.json"), join(d, "config.json"));
    return d;
  }

  test("a 2-shard copy loads with the same tensors and values as the single file", () => {
    const d = shardedDir();
    const ck = openModelWeights(d, cfg);
    expect(ck.files.length).toBe(2);
    expect([...ck.tensors.keys()]).toEqual([...src.tensors.keys()]);
    for (const k of names) expect(Buffer.from(ck.readRaw(k).bytes).equals(Buffer.from(src.readRaw(k).bytes))).toBe(true);
    expect(new Set(ck.tensors.values().map((t) => t.file))).toEqual(new Set(shardNames.map((s) => join(d, s))));
  });

  test("an index entry whose tensor is not in its shard is named", () => {
    const d = shardedDir((wm) => {
      wm["model.extra.weight"] = shardNames[0];
    });
    expect(modelError(() => openModelWeights(d, cfg))).toMatch(/tensor model.extra.weight is in the weight_map of model.safetensors.index.json but not in the shard/);
  });

  test("a shard tensor missing from the index is named", () => {
    const d = shardedDir((wm) => {
      delete wm["model.norm.weight"];
    });
    expect(modelError(() => openModelWeights(d, cfg))).toMatch(/tensor model.norm.weight is not in the weight_map/);
  });

  test("a missing shard file and a shard path outside the folder are refused", () => {
    const d = shardedDir();
    rmSync(join(d, shardNames[1]));
    expect(modelError(() => openModelWeights(d, cfg))).toMatch(/model-00002-of-00002.safetensors: not found/);
    const e = shardedDir((wm) => {
      wm["model.norm.weight"] = "../elsewhere.safetensors";
    });
    expect(modelError(() => openModelWeights(e, cfg))).toMatch(/weight_map entry for tensor model.norm.weight is "..\/elsewhere.safetensors"; accepted: a file name beside the index/);
  });

  test("a truncated shard fails the whole load, before any tensor is returned", () => {
    const d = shardedDir();
    const f = join(d, shardNames[1]);
    const b = readFileSync(f);
    writeFileSync(f, b.subarray(0, b.length - 1));
    expect(modelError(() => openModelWeights(d, cfg))).toMatch(/model-00002-of-00002.safetensors: tensor .* run past the end of the data/);
  });
});
