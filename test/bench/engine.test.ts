import { expect, setDefaultTimeout, test } from "bun:test";
import { DEFAULT_SECTIONS, formatBenchTable, formatRows, graphMatmulFlops, parseSections, runBench } from "../../src/bench/engine.ts";
import { Graph } from "../../src/engine/graph.ts";
import { matmul } from "../../src/engine/ops/index.ts";
import { decodeWeightBytes, modelBenchRows, runModelBench } from "../../src/bench/model.ts";
import { parseDecoderConfig } from "../../src/model/hf-config.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

test("matmul FLOPs are counted from the graph's MatMul nodes", () => {
  const g = new Graph();
  const a = g.input("a", "float32", [2, 3, 4]);
  const b = g.input("b", "float32", [4, 5]);
  g.output(matmul(a, b), "c");
  expect(graphMatmulFlops(g)).toBe(2 * 2 * 3 * 4 * 5);
});

test("--only: known sections, exec opt-in, the ceilings a section needs are added", () => {
  expect(parseSections(undefined)).toEqual([...DEFAULT_SECTIONS]);
  expect(DEFAULT_SECTIONS).not.toContain("exec");
  expect(parseSections("exec")).toEqual(["exec"]);
  expect(parseSections("generate")).toEqual(["bandwidth", "generate"]);
  expect(parseSections("model-train, train")).toEqual(["gemm", "train", "model-train"]);
  expect(() => parseSections("gemm,nope")).toThrow('unknown bench section "nope"');
  expect(() => parseSections(",")).toThrow("names no section");
});

test("decode weight bytes: a tied embedding is read as the head, an untied one is only gathered", () => {
  const base = { model_type: "llama", hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 10 };
  const tied = parseDecoderConfig({ ...base, tie_word_embeddings: true });
  const untied = parseDecoderConfig({ ...base, tie_word_embeddings: false });
  // layer: norms 2·8, q 8·8, k 4·8, v 4·8, o 8·8, mlp 3·16·8; final norm 8; head/embedding 10·8
  const layer = 16 + 64 + 32 + 32 + 64 + 384;
  expect(decodeWeightBytes(tied)).toBe(4 * (layer + 8 + 80));
  expect(decodeWeightBytes(untied)).toBe(4 * (layer + 8 + 80));
});

test("quick bench reports the ceiling, a train step and a table", async () => {
  const r = await runBench({ quick: true, steps: 1, sections: ["gemm", "train"] });
  const gemm = r.gemm!;
  const train = r.train!;
  expect(gemm.gflops).toBeGreaterThan(0);
  expect(train.tokens).toBe(train.model.batch * train.model.seq);
  expect(train.gflopPerStep).toBeGreaterThan(0);
  expect(train.ratioToCeiling).toBeCloseTo(train.gflops / gemm.gflops, 9);
  expect(Number.isFinite(train.lossLast)).toBe(true);
  expect(r.bandwidth).toBeUndefined();
  const table = formatBenchTable(r);
  expect(table).toContain("GEMM ceiling fp32 128^3");
  expect(table).toContain("% of ceiling");
  expect(JSON.parse(JSON.stringify(r)).train.params).toBe(train.params);
});

test("quick bandwidth section measures a read and a copy rate", async () => {
  const r = await runBench({ quick: true, sections: ["bandwidth"] });
  const b = r.bandwidth!;
  expect(r.gemm).toBeUndefined();
  expect(r.train).toBeUndefined();
  expect(b.bytes).toBe(8 * 2 ** 20);
  expect(b.ortReadGBs).toBeGreaterThan(0);
  expect(b.copyGBs).toBeGreaterThan(0);
  expect(b.gbs).toBe(Math.max(b.ortReadGBs, b.copyGBs));
  expect(formatBenchTable(r)).toContain("memory bandwidth 8 MiB");
});

test("quick generation: default model and a config-built decoder, batch 1 and 8, greedy and sampled, with the step's parts", async () => {
  const r = await runModelBench({ quick: true, sections: ["generate"], ceilings: { bandwidthGBs: 10 } });
  const gr = r.generate!;
  expect(r.modelTrain).toBeUndefined();
  expect(gr.models.map((m) => m.model.name)).toEqual(["default (fixtures/default-model)", "qwen3-tiny (random)"]);
  const def = gr.models[0];
  expect(def.model.params).toBeGreaterThan(2e6);
  expect(def.boundStepsPerSec).toBeCloseTo(10e9 / def.weightBytesPerStep, 6);
  for (const m of gr.models) {
    const plain = m.runs.filter((x) => x.threads === "default");
    expect(plain.map((x) => `${x.batch}:${x.sampling}`)).toEqual(["1:greedy", "1:sampled", "8:greedy", "8:sampled"]);
    for (const x of m.runs) {
      expect(x.decodeSteps).toBe(x.newTokens - 1);
      expect(x.tokensPerSec).toBeCloseTo(x.batch * x.stepsPerSec, 6);
      expect(x.ratioToBandwidthBound).toBeCloseTo(x.stepsPerSec / m.boundStepsPerSec, 9);
    }
    expect(m.breakdown.map((b) => b.batch)).toEqual([1, 8]);
    for (const b of m.breakdown) expect(b.runMs).toBeGreaterThan(0);
  }
  expect(gr.device).toBe("cpu");
  expect(gr.target!.met).toBe(gr.target!.achieved >= 0.5);
  // Each decode step feeds the whole cache: at least the K and V of every layer at full capacity.
  const tiny = gr.models[1]!;
  const kv = 2 * 4 * tiny.model.layers * Number(tiny.model.heads.split("/")[1]!.split("x")[0]) * Number(tiny.model.heads.split("x")[1]) * (16 + 3);
  for (const x of tiny.runs) expect(x.transferBytesPerStep).toBeGreaterThan(x.batch * kv);
  for (const m of gr.models) expect(m.sessionBuild.externalMs).toBeGreaterThan(0);
  expect(formatRows(modelBenchRows(r))).toContain("session build (log-probs 1 x 64)");
  const table = formatRows(modelBenchRows(r));
  expect(table).toContain("of bound");
  expect(table).toContain("target (default model, batch 1)");
  expect(JSON.parse(JSON.stringify(r)).generate.models.length).toBe(2);
});

test("quick model-train: full fine-tuning and LoRA r=16 of a config-built decoder against the GEMM ceiling", async () => {
  const r = await runModelBench({ quick: true, sections: ["model-train"], ceilings: { gemmGflops: 20 } });
  const t = r.modelTrain!;
  expect(t.runs.map((x) => x.mode)).toEqual(["full", "lora"]);
  const [full, lora] = t.runs;
  expect(full.trainableParams).toBe(t.model.params);
  expect(lora.rank).toBe(16);
  expect(lora.trainableParams).toBeLessThan(full.trainableParams);
  for (const x of t.runs) {
    expect(x.gflopPerStep).toBeGreaterThan(0);
    expect(x.ratioToCeiling).toBeCloseTo(x.gflops / 20, 9);
    expect(Number.isFinite(x.lossLast)).toBe(true);
  }
  // Full fine-tuning feeds and fetches parameters, m and v; LoRA (base as inputs on the CPU) feeds the base too.
  expect(full.transfer.fetchedBytes).toBeGreaterThanOrEqual(12 * full.trainableParams);
  expect(full.transfer.fedBytes).toBeGreaterThanOrEqual(12 * full.trainableParams);
  expect(lora.transfer.fetchedBytes).toBeLessThan(12 * full.trainableParams);
  expect(lora.transfer.fedBytes).toBeGreaterThanOrEqual(4 * t.model.params);
  const table = formatRows(modelBenchRows(r));
  expect(table).toContain("LoRA r=16 work");
  expect(table).toContain("full fine-tuning host-device bytes");
});
