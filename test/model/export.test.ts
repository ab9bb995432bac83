// Export round trips: a trained run's checkpoint, written as a Hugging Face folder (or a PEFT
// adapter folder), loads back and scores exactly as the checkpoint's own weights do; names and
// dtypes are the ones transformers and PEFT expect. The reference is the checkpoint restored into
// the learner's model the way eval restores it, not the exporter's own reader.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelBackend } from "../../src/backends/model/backend.ts";
import { actorStateOf, readCheckpoint, writeCheckpoint } from "../../src/runtime/checkpoint.ts";
import { encodeValue } from "../../src/protocol/codec.ts";
import { ParamLayout } from "../../src/engine/params.ts";
import { decoderParamSpecs } from "../../src/model/decoder.ts";
import { decodeLearnerState } from "../../src/runtime/learner-state.ts";
import { openRunDir, readSavedRun } from "../../src/runtime/run-dir.ts";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import { loadModel, type LoadedModel } from "../../src/model/model.ts";
import { expectedTensors, bf16ToF32, f32ToBf16, openCheckpoint, readSafetensorsHeader, writeSafetensors } from "../../src/model/safetensors.ts";
import { PARAMS_FILE, parseShardSize } from "../../src/model/export.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), "spz-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const FIXTURES = join(import.meta.dir, "../../fixtures");
const LLAMA = join(FIXTURES, "tiny-llama");
const QWEN3 = join(FIXTURES, "tiny-qwen3");
// RLP's reward is continuous, so even 2 steps on the tiny random models update the weights.
const TRAIN = ["train", "--task", "rlp", "--steps", "2", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--transport", "inproc", "--checkpoint-every", "1"];

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
const run = (name: string) => join(dir, "runs", name);
const ckpt = (name: string, step: number) => join(run(name), "checkpoints", `ckpt-${String(step).padStart(8, "0")}`);

/** tiny-llama as float32 with tied embeddings (no lm_head), written with safetensors.ts. */
function tiedF32Llama(): string {
  const out = join(dir, "llama-f32-tied");
  mkdirSync(out);
  const cfg = JSON.parse(readFileSync(join(LLAMA, "config.json"), "utf8"));
  writeFileSync(join(out, "config.json"), JSON.stringify({ ...cfg, torch_dtype: "float32", tie_word_embeddings: true }));
  const ck = openCheckpoint(LLAMA);
  const tensors = [...ck.tensors.values()].filter((t) => t.name !== "lm_head.weight").map((t) => [t.name, { dtype: "F32" as const, shape: t.shape, data: ck.readF32(t.name) }] as [string, { dtype: "F32"; shape: number[]; data: Float32Array }]);
  writeSafetensors(join(out, "model.safetensors"), tensors);
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(LLAMA, f), join(out, f));
  return out;
}

let F32: string;
beforeAll(() => {
  F32 = tiedF32Llama();
  for (const [name, ...flags] of [
    ["llama", "--model", LLAMA],
    ["f32", "--model", F32],
    ["qwen3", "--model", QWEN3],
    ["lora", "--model", LLAMA, "--lora-rank", "4", "--lora-alpha", "8"],
  ] as const) {
    const r = cli(...TRAIN, ...flags, "--run", name);
    if (r.code !== 0) throw new Error(`train ${name}: ${r.err}`);
  }
});

/** The learner's model with checkpoint `path` of run `name` restored, as eval restores it. */
function restored(name: string, path: string): LoadedModel {
  const backend = ModelBackend.load(readSavedRun(openRunDir(run(name))).config);
  backend.restore(decodeLearnerState(actorStateOf(readCheckpoint(path), "learner")!).backend);
  return backend.model;
}

const SEQS = [
  [659, 12, 40, 7, 100, 200, 300, 5, 41, 42, 43],
  [659, 500, 3, 3, 3, 650, 17],
];
const lp = async (m: LoadedModel) => (await m.logprobs(SEQS)).map((r) => Array.from(r.logprobs));

function header(file: string) {
  return readSafetensorsHeader(file).tensors;
}

describe("full fine-tuning", () => {
  test("a bf16 model exports as bf16 and scores exactly like the checkpoint's weights rounded to bf16", async () => {
    const out = join(dir, "out-llama");
    const r = cli("export", run("llama"), "--out", out, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toMatchObject({ kind: "model", dtype: "bfloat16", step: 2 });
    expect(readdirSync(out).sort()).toEqual(["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(config).toEqual({ ...JSON.parse(readFileSync(join(LLAMA, "config.json"), "utf8")), torch_dtype: "bfloat16" });
    const tensors = header(join(out, "model.safetensors"));
    expect(new Set(tensors.map((t) => t.dtype))).toEqual(new Set(["BF16"]));
    expect(tensors.map((t) => t.name).sort()).toEqual([...expectedTensors(loadDecoderConfig(LLAMA)).keys()].sort());
    expect(readFileSync(join(out, "tokenizer.json"))).toEqual(readFileSync(join(LLAMA, "tokenizer.json")));
    expect(JSON.parse(readFileSync(join(out, "generation_config.json"), "utf8"))).toEqual({ bos_token_id: 659, eos_token_id: 656, pad_token_id: 656, do_sample: true, temperature: 1, top_p: 1, top_k: 0 });

    const ref = restored("llama", ckpt("llama", 2));
    const trained = ref.parameters()[0] as Float32Array;
    const rounded = bf16ToF32(f32ToBf16(trained));
    expect(rounded).not.toEqual(trained); // the export really rounds, so equality below is not vacuous
    const want = await ref.withParameters([rounded], () => lp(ref));
    const exported = loadModel(out, { deterministic: true });
    expect(await lp(exported)).toEqual(want);
    // ...and the weights did train: the base model scores differently.
    const base = loadModel(LLAMA, { deterministic: true });
    expect(await lp(base)).not.toEqual(want);
    // `bun run score` on the folder gives the same log-probs.
    const s = cli("score", "--model", out, "--ids", SEQS[0]!.join(","), "--no-full");
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out.trim()).nextTokenLogprobs).toEqual(want[0]);
    await Promise.all([ref.release(), exported.release(), base.release()]);
  });

  test("a float32 model with tied embeddings exports float32 without lm_head and scores exactly like the checkpoint", async () => {
    const out = join(dir, "out-f32");
    expect(cli("export", ckpt("f32", 2), "--out", out).code).toBe(0);
    const tensors = header(join(out, "model.safetensors"));
    expect(tensors.every((t) => t.dtype === "F32")).toBe(true);
    expect(tensors.some((t) => t.name === "lm_head.weight")).toBe(false);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({ torch_dtype: "float32", tie_word_embeddings: true });
    const ref = restored("f32", ckpt("f32", 2));
    const exported = loadModel(out, { deterministic: true });
    expect(await lp(exported)).toEqual(await lp(ref));
    await Promise.all([ref.release(), exported.release()]);
  });

  test("an earlier checkpoint exports its own step", async () => {
    const out = join(dir, "out-f32-step1");
    const r = cli("export", ckpt("f32", 1), "--out", out, "--json");
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!).step).toBe(1);
    const ref = restored("f32", ckpt("f32", 1));
    const exported = loadModel(out, { deterministic: true });
    expect(await lp(exported)).toEqual(await lp(ref));
    await Promise.all([ref.release(), exported.release()]);
  });

  test("Qwen3 keeps its tensor names (q_norm, k_norm; tied: no lm_head) and round-trips exactly", async () => {
    const out = join(dir, "out-qwen3");
    expect(cli("export", run("qwen3"), "--out", out).code).toBe(0);
    const names = header(join(out, "model.safetensors")).map((t) => t.name).sort();
    expect(names).toEqual([...expectedTensors(loadDecoderConfig(QWEN3)).keys()].sort());
    expect(names).toContain("model.layers.1.self_attn.q_norm.weight");
    const ref = restored("qwen3", ckpt("qwen3", 2));
    const exported = loadModel(out, { deterministic: true });
    expect(await lp(exported)).toEqual(await lp(ref));
    await Promise.all([ref.release(), exported.release()]);
  });

  test("past --max-shard-size the weights are sharded with an index, and load back to the same log-probs", async () => {
    const out = join(dir, "out-sharded");
    const limit = 100_000;
    expect(cli("export", run("llama"), "--out", out, "--max-shard-size", "100KB").code).toBe(0);
    const files = readdirSync(out);
    expect(files).not.toContain("model.safetensors");
    const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).sort();
    expect(shards.length).toBeGreaterThan(1);
    expect(shards.at(-1)).toBe(`model-${String(shards.length).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`);
    const index = JSON.parse(readFileSync(join(out, "model.safetensors.index.json"), "utf8"));
    let total = 0;
    for (const s of shards) {
      const ts = header(join(out, s));
      const bytes = ts.reduce((a, t) => a + (t.end - t.begin), 0);
      // A shard holds more than the limit only when it is one tensor larger than the limit.
      expect(bytes <= limit || ts.length === 1).toBe(true);
      for (const t of ts) expect(index.weight_map[t.name]).toBe(s);
      total += bytes;
    }
    expect(index.metadata.total_size).toBe(total);
    expect(Object.keys(index.weight_map).sort()).toEqual([...expectedTensors(loadDecoderConfig(LLAMA)).keys()].sort());
    const single = loadModel(join(dir, "out-llama"), { deterministic: true });
    const sharded = loadModel(out, { deterministic: true });
    expect(await lp(sharded)).toEqual(await lp(single));
    await Promise.all([single.release(), sharded.release()]);
  });

  test("--dtype float16 writes F16 tensors and says so in config.json", () => {
    const out = join(dir, "out-f16");
    expect(cli("export", run("llama"), "--out", out, "--dtype", "float16").code).toBe(0);
    expect(header(join(out, "model.safetensors")).every((t) => t.dtype === "F16")).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).torch_dtype).toBe("float16");
  });
});

test("a checkpoint written before the learner's tensors had their own files (one learner.bin) exports the same model", () => {
  // The old layout, built from the new checkpoint's parameters: learner.bin = {step, backend: {updates,
  // model: u32 header length, JSON header, then params, Adam m and v as one flat buffer}}.
  cpSync(run("f32"), run("legacy"), { recursive: true });
  const layout = new ParamLayout(decoderParamSpecs(loadDecoderConfig(F32)));
  const params = openCheckpoint(join(ckpt("f32", 2), PARAMS_FILE));
  const flat = new Float32Array(layout.total * 3);
  for (const s of layout.slots) flat.set(params.readF32(s.spec.name), s.offset);
  const head = new TextEncoder().encode(JSON.stringify({ magic: "sp0-model-snapshot-1", dtype: "float32", total: layout.total, steps: 2 }));
  const snap = new Uint8Array(4 + head.length + flat.byteLength);
  new DataView(snap.buffer).setUint32(0, head.length, true);
  snap.set(head, 4);
  snap.set(new Uint8Array(flat.buffer), 4 + head.length);
  const learner = encodeValue({ step: 3, version: 3, lastStats: null, backend: encodeValue({ updates: 2, model: snap }) });
  writeCheckpoint(join(run("legacy"), "checkpoints"), 3, { "learner.bin": learner }, { step: 3 });
  const r = cli("export", run("legacy"), "--out", join(dir, "out-legacy"), "--json");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out.trim().split("\n").at(-1)!).step).toBe(3);
  expect(readFileSync(join(dir, "out-legacy", "model.safetensors"))).toEqual(readFileSync(join(run("f32"), "final", "model.safetensors")));
});

describe("LoRA", () => {
  test("a LoRA run exports a PEFT adapter folder that scores exactly like the checkpoint", async () => {
    const out = join(dir, "out-lora");
    expect(cli("export", run("lora"), "--out", out).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
    const ac = JSON.parse(readFileSync(join(out, "adapter_config.json"), "utf8"));
    expect(ac).toMatchObject({ peft_type: "LORA", task_type: "CAUSAL_LM", r: 4, lora_alpha: 8, base_model_name_or_path: LLAMA });
    const tensors = header(join(out, "adapter_model.safetensors"));
    // PEFT's saved names: the adapter name ("default") stripped, base_model.model. in front.
    expect(tensors.map((t) => t.name)).toContain("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
    expect(tensors.every((t) => /^base_model\.model\.model\.layers\.\d+\.(self_attn|mlp)\.\w+_proj\.lora_[AB]\.weight$/.test(t.name) && t.dtype === "F32")).toBe(true);
    expect(tensors).toHaveLength(2 * 7 * 2);

    const ref = restored("lora", ckpt("lora", 2));
    const fresh = loadModel(LLAMA, { deterministic: true, lora: { rank: 4, alpha: 8 } });
    const untrained = await lp(fresh);
    fresh.loadAdapters(out);
    const want = await lp(ref);
    expect(await lp(fresh)).toEqual(want);
    expect(untrained).not.toEqual(want);
    await Promise.all([ref.release(), fresh.release()]);
  });

  test("--merge-lora writes W + (alpha/r)·B·A that scores like base + adapters (within 1e-5)", async () => {
    const out = join(dir, "out-merged");
    expect(cli("export", run("lora"), "--out", out, "--merge-lora", "--dtype", "float32").code).toBe(0);
    expect(existsSync(join(out, "adapter_config.json"))).toBe(false);
    expect(header(join(out, "model.safetensors")).every((t) => t.dtype === "F32" && !t.name.includes("lora"))).toBe(true);
    const withAdapters = loadModel(LLAMA, { deterministic: true, lora: { rank: 4, alpha: 8 } });
    withAdapters.loadAdapters(join(dir, "out-lora"));
    const merged = loadModel(out, { deterministic: true });
    const [a, b] = [await lp(merged), await lp(withAdapters)];
    let worst = 0;
    a.forEach((row, i) => row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i]![j]!)))));
    expect(worst).toBeLessThan(1e-5);
    await Promise.all([withAdapters.release(), merged.release()]);
    // By default the merged model takes the base model's dtype.
    const bf = join(dir, "out-merged-bf16");
    expect(cli("export", run("lora"), "--out", bf, "--merge-lora").code).toBe(0);
    expect(header(join(bf, "model.safetensors")).every((t) => t.dtype === "BF16")).toBe(true);
  });
});

describe("train writes final/", () => {
  test("a full fine-tuning run's final/ is the export of its last checkpoint", () => {
    const final = join(run("llama"), "final");
    expect(readFileSync(join(final, "model.safetensors"))).toEqual(readFileSync(join(dir, "out-llama", "model.safetensors")));
    expect(readFileSync(join(final, "config.json"), "utf8")).toBe(readFileSync(join(dir, "out-llama", "config.json"), "utf8"));
  });

  test("a LoRA run's final/ is its PEFT adapter folder", () => {
    const final = join(run("lora"), "final");
    expect(readFileSync(join(final, "adapter_model.safetensors"))).toEqual(readFileSync(join(dir, "out-lora", "adapter_model.safetensors")));
  });

  test("with --checkpoint-every 0 a model run still checkpoints its last step and writes final/", () => {
    const r = cli(...TRAIN.slice(0, -2), "--checkpoint-every", "0", "--model", F32, "--run", "never");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/final model \(step 2\): .*final/);
    expect(readdirSync(join(run("never"), "checkpoints"))).toEqual(["ckpt-00000002"]);
    expect(statSync(join(run("never"), "final", "model.safetensors")).size).toBeGreaterThan(0);
  });
});

describe("refusals, one line each", () => {
  const refused = (r: { code: number | null; err: string }, pattern: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(pattern);
  };

  test("a run folder that does not exist", () => {
    refused(cli("export", join(dir, "runs", "nope"), "--out", join(dir, "x1")), /no such run or checkpoint folder/);
  });

  test("a run without checkpoints", () => {
    cpSync(run("f32"), run("bare"), { recursive: true });
    rmSync(join(run("bare"), "checkpoints"), { recursive: true });
    refused(cli("export", run("bare"), "--out", join(dir, "x2")), /nothing to export: it has no checkpoint/);
  });

  test("a simulator run", () => {
    expect(cli("simulate", "--steps", "1", "--passages", "2", "--transport", "inproc", "--run", "sim").code).toBe(0);
    refused(cli("export", run("sim"), "--out", join(dir, "x3")), /trained the simulator: it has no model to export/);
  });

  test("--out exists and is not empty, unless --force", () => {
    const out = join(dir, "x4");
    mkdirSync(out);
    writeFileSync(join(out, "keep.txt"), "x");
    refused(cli("export", run("f32"), "--out", out), /exists and is not empty.*--force/);
    expect(readdirSync(out)).toEqual(["keep.txt"]);
    expect(cli("export", run("f32"), "--out", out, "--force").code).toBe(0);
    expect(readdirSync(out)).not.toContain("keep.txt");
    expect(existsSync(join(out, "model.safetensors"))).toBe(true);
  });

  test("--out that would replace the run folder", () => {
    refused(cli("export", run("f32"), "--out", join(dir, "runs"), "--force"), /would replace the run folder/);
    refused(cli("export", run("f32"), "--out", ckpt("f32", 1), "--force"), /would replace the run folder, its checkpoints/);
    expect(existsSync(join(ckpt("f32", 1), "manifest.json"))).toBe(true);
    expect(existsSync(run("f32"))).toBe(true);
  });

  test("a corrupted newest checkpoint is named and passed over; the one before is exported", () => {
    cpSync(run("f32"), run("corrupt"), { recursive: true });
    const ck = ckpt("corrupt", 2);
    const file = existsSync(join(ck, PARAMS_FILE)) ? join(ck, PARAMS_FILE) : join(ck, "learner.bin");
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(file, bytes);
    const r = cli("export", run("corrupt"), "--out", join(dir, "x6"), "--json");
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: skipping checkpoint .*ckpt-00000002.*sha256 mismatch/);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!).step).toBe(1);
  });

  test("a bad --max-shard-size", () => {
    refused(cli("export", run("f32"), "--out", join(dir, "x5"), "--max-shard-size", "lots"), /--max-shard-size "lots" is not a size/);
    expect(parseShardSize("5GB")).toBe(5_000_000_000);
    expect(parseShardSize("2GiB")).toBe(2 * 2 ** 30);
    expect(parseShardSize("100KB")).toBe(100_000);
  });
});
