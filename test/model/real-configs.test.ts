/**
 * The published configurations of Qwen3-0.6B and Llama-3.2-1B with their real npm tokenizers, on
 * random bf16 weights built here (no downloads): loading, scoring, generation with the paper
 * template past 256 tokens, a LoRA GRPO step, a full fine-tuning step (on a one-layer variant: the
 * whole model does not fit the CI machine), resume from a snapshot, and the memory check that
 * refuses what cannot fit. Timings and peak RSS per case: src/bench/real-configs.ts.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HYPER, PASSAGE, REAL_CONFIGS, promptIds, trainBatch } from "../../src/bench/real-configs.ts";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import { GIB, MEMORY_CHECK_ENV, checkMemory, estimateMemory, loraParameterCount, machineMemory, memoryCheckEnabled, parameterCount } from "../../src/model/memory.ts";
import { loadModel } from "../../src/model/model.ts";
import { buildRandomModel } from "../../src/model/random-model.ts";
import { openCheckpoint } from "../../src/model/safetensors.ts";
import { TextTokenizer } from "../../src/model/tokenizer.ts";
import { generatorPrompt } from "../../src/tasks/pretrainzero/prompts.ts";

// Loading a 1B model and one train step take tens of seconds on 2 cores.
setDefaultTimeout(600_000);

let root = "";
const dirs = { qwen: "", llama: "", qwen1: "" };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "spz-real-configs-test-"));
  dirs.qwen = buildRandomModel(REAL_CONFIGS["qwen3-0.6b"].config, REAL_CONFIGS["qwen3-0.6b"].tokenizer, join(root, "qwen3-0.6b"), { seed: 1 }).dir;
  dirs.llama = buildRandomModel(REAL_CONFIGS["llama-3.2-1b"].config, REAL_CONFIGS["llama-3.2-1b"].tokenizer, join(root, "llama-3.2-1b"), { seed: 2 }).dir;
  dirs.qwen1 = buildRandomModel(REAL_CONFIGS["qwen3-0.6b"].config, REAL_CONFIGS["qwen3-0.6b"].tokenizer, join(root, "qwen3-0.6b-1layer"), { seed: 3, configOverrides: { num_hidden_layers: 1 } }).dir;
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Frees the last model's buffers before the next one loads (the file's peak stays one model). */
const collect = () => Bun.gc(true);

describe("published configurations", () => {
  test("the configs parse to the published parameter counts (Qwen3-0.6B 0.60B with 0.44B non-embedding, Llama-3.2-1B 1.24B)", () => {
    const q = loadDecoderConfig(REAL_CONFIGS["qwen3-0.6b"].config);
    const l = loadDecoderConfig(REAL_CONFIGS["llama-3.2-1b"].config);
    expect(parameterCount(q)).toBe(596_049_920);
    expect(parameterCount(q) - q.vocabSize * q.hiddenSize).toBe(440_467_456);
    expect(parameterCount(l)).toBe(1_235_814_400);
    expect([q.headDim, q.numKvHeads, q.tieWordEmbeddings, q.torchDtype]).toEqual([128, 8, true, "bfloat16"]);
    expect(l.ropeScaling).toEqual({ type: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  });

  test("the npm tokenizers fit the configs: Qwen3's 151,669 ids under vocab 151,936 with EOS <|im_end|>; Llama 3's 128,256 ids exactly, without Meta's BOS post-processor", () => {
    const q = TextTokenizer.load(REAL_CONFIGS["qwen3-0.6b"].tokenizer);
    const l = TextTokenizer.load(REAL_CONFIGS["llama-3.2-1b"].tokenizer);
    expect(q.vocabSize).toBe(151_669);
    expect(q.eosId).toBe(loadDecoderConfig(REAL_CONFIGS["qwen3-0.6b"].config).eosTokenIds[0]!);
    expect(l.vocabSize).toBe(128_256);
    expect(l.bosId).toBe(128_000);
    // Meta's tokenizer.json prepends <|begin_of_text|> (TemplateProcessing); the npm copy keeps only ByteLevel.
    expect(l.encode("Hello world")).toEqual([9906, 1917]);
  });

  test("random weights are stored as bf16 with every tensor the config names; projections ~N(0, 0.02), norms exactly 1", () => {
    const ck = openCheckpoint(dirs.qwen);
    let n = 0;
    for (const t of ck.tensors.values()) {
      expect(t.dtype).toBe("BF16");
      n += t.shape.reduce((a, b) => a * b, 1);
    }
    expect(n).toBe(596_049_920);
    const w = ck.readF32("model.layers.3.mlp.up_proj.weight");
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
    expect(ck.readF32("model.layers.3.self_attn.k_norm.weight").every((x) => x === 1)).toBe(true);
  });
});

describe("memory estimate", () => {
  const box = { total: 24 * GIB, available: 22 * GIB, source: "test" };
  const llama = () => loadDecoderConfig(REAL_CONFIGS["llama-3.2-1b"].config);

  test("full fine-tuning of Llama-3.2-1B is refused on a 24 GiB machine, naming the estimate and its parts", () => {
    const e = estimateMemory(llama(), { mode: { kind: "full" } });
    expect(e.peak).toBeGreaterThan(40 * GIB); // params, m, v and a step's copies: ~10 fp32 copies of 1.24B
    expect(() => checkMemory("full fine-tuning of llama-3.2-1b", e, box)).toThrow(
      /^full fine-tuning of llama-3\.2-1b needs ~\d+ GiB \(weights fp32 4\.6, Adam m\+v 9\.2, step copies .*activations b8×t512 [\d.]+\); this machine has 24 GiB, 22 GiB of it free now; use --lora or a smaller model/,
    );
  });

  test("LoRA on Llama-3.2-1B fits the same machine; its adapters are PEFT's count", () => {
    const e = estimateMemory(llama(), { mode: { kind: "lora", rank: 8 }, train: { batch: 2, length: 256 } });
    expect(e.trainable).toBe(loraParameterCount(llama(), 8));
    expect(e.trainable).toBe(5_636_096); // PEFT's r=8 on all 7 projections of Llama-3.2-1B
    expect(() => checkMemory("LoRA of llama-3.2-1b", e, box, true)).not.toThrow();
  });

  test("loadModel refuses full fine-tuning of Llama-3.2-1B before reading a weight when the machine is too small", () => {
    const e = estimateMemory(llama(), { mode: { kind: "full" } });
    if (machineMemory().total >= e.peak) return; // a machine this big may try
    const t0 = performance.now();
    expect(() => loadModel(dirs.llama)).toThrow(/^full fine-tuning of llama-3\.2-1b needs ~\d+ GiB .*use --lora or a smaller model/);
    expect(performance.now() - t0).toBeLessThan(2000); // refused from the config alone
  });

  test("SPZ_MEMORY_CHECK=off (or memoryCheck: false) turns the check off for experts", () => {
    const was = process.env[MEMORY_CHECK_ENV];
    try {
      delete process.env[MEMORY_CHECK_ENV];
      expect(memoryCheckEnabled()).toBe(true);
      expect(memoryCheckEnabled(false)).toBe(false);
      process.env[MEMORY_CHECK_ENV] = "off";
      expect(memoryCheckEnabled()).toBe(false);
    } finally {
      if (was === undefined) delete process.env[MEMORY_CHECK_ENV];
      else process.env[MEMORY_CHECK_ENV] = was;
    }
  });
});

describe("Qwen3-0.6B (random weights, real tokenizer)", () => {
  test("LoRA: loads, scores 256 tokens, generates 256 tokens with the paper template without stopping at a newline, and takes a GRPO step", async () => {
    const model = loadModel(dirs.qwen, { lora: { rank: 8, alpha: 16 }, memoryCheck: { train: { batch: 1, length: 128 }, generate: { batch: 1, length: 512 } } });
    try {
      const [s] = await model.logprobs([promptIds(model, 256)]);
      expect(s!.logprobs.length).toBe(255);
      expect(s!.logprobs.every((x) => Number.isFinite(x) && x < 0)).toBe(true);

      const prompt = model.tokenizer.encode(generatorPrompt(PASSAGE, "paper"));
      const [g] = await model.generate([
        { prompt, maxNewTokens: 256, temperature: 1, topP: 1, topK: 0, stopStrings: [], stopAfterBraced: "mask", rng: { seed: 1, step: 0, role: "generator", item: "t", sample: 0 } },
      ]);
      // Random weights almost never draw EOS or close a \mask{...}: the whole budget is used.
      if (g!.finishReason === "length") expect(g!.tokens.length).toBe(256);
      else expect(g!.tokens.at(-1) === model.config.eosTokenIds[0] || g!.text.endsWith("}")).toBe(true);
      expect(g!.logprobs.every(Number.isFinite)).toBe(true);

      const before = model.digest();
      const r = await model.trainStep(trainBatch(model, 1, 128), HYPER);
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(r.tokens).toBe(64);
      expect(model.digest()).not.toBe(before);
    } finally {
      await model.release();
      collect();
    }
  });

  test("full fine-tuning (a one-layer variant: the whole model needs ~20 GiB): a GRPO step changes the weights, and a snapshot restored before it repeats the step bit for bit", async () => {
    const opts = { deterministic: true, memoryCheck: { train: { batch: 1, length: 64 }, generate: { batch: 1, length: 64 } } } as const;
    const model = loadModel(dirs.qwen1, opts);
    try {
      const batch = trainBatch(model, 1, 64);
      const snap = model.snapshot();
      const before = model.digest();
      const r = await model.trainStep(batch, HYPER);
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.gradNorm).toBeGreaterThan(0);
      const after = model.digest();
      expect(after).not.toBe(before);
      model.restore(snap);
      expect(model.digest()).toBe(before);
      await model.trainStep(batch, HYPER);
      expect(model.digest()).toBe(after);
    } finally {
      await model.release();
      collect();
    }
  });
});

describe("Llama-3.2-1B (random weights, real tokenizer)", () => {
  test("LoRA: loads, scores and takes a GRPO step (full fine-tuning is the part that does not fit)", async () => {
    const model = loadModel(dirs.llama, { lora: { rank: 8, alpha: 16 }, memoryCheck: { train: { batch: 1, length: 64 }, generate: { batch: 1, length: 64 } } });
    try {
      const ids = promptIds(model, 64);
      const [s] = await model.logprobs([ids]);
      expect(s!.logprobs.length).toBe(63);
      expect(s!.logprobs.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
      const before = model.digest();
      const r = await model.trainStep(trainBatch(model, 1, 64), HYPER);
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(model.digest()).not.toBe(before);
    } finally {
      await model.release();
      collect();
    }
  });
});
