import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { decoderTensorSpecs, randomWeights } from "../../src/model/decoder.ts";
import { parseDecoderConfig } from "../../src/model/hf-config.ts";
import { LmTrainer, type TrainMode, type TrainSequence } from "../../src/model/lm-trainer.ts";

setDefaultTimeout(60_000);

// What a train step feeds and fetches is what it copies between host and device on the CUDA EP.
const cfg = parseDecoderConfig({
  model_type: "qwen3", hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, head_dim: 8, rope_theta: 10000, vocab_size: 29, tie_word_embeddings: true,
});
const base = randomWeights(cfg, 5, 0.3);
const baseBytes = 4 * decoderTensorSpecs(cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
const batch: TrainSequence[] = [0, 1].map((b) => ({
  ids: Array.from({ length: 10 }, (_, i) => (i * 7 + b * 3) % cfg.vocabSize),
  completionStart: 4,
  advantage: b ? 1 : -1,
  behaviourLogprobs: new Float32Array(6).fill(-3),
}));
const hp = { lr: 1e-3, epsLow: 0.2, epsHigh: 0.28 };

async function stepOf(mode: TrainMode, baseMode: "initializer" | "input") {
  const t = new LmTrainer(cfg, base, mode, { baseMode, session: { deterministic: true } });
  try {
    const r = await t.step(batch, hp);
    return { transfer: r.transfer, trainable: t.layout.total };
  } finally {
    await t.release();
  }
}

describe("a train step's host-device traffic", () => {
  test("full fine-tuning moves parameters, Adam m and v both ways; LoRA over initializers moves adapters only", async () => {
    const full = await stepOf({ kind: "full" }, "initializer");
    const lora = await stepOf({ kind: "lora", rank: 2, alpha: 4 }, "initializer");
    const state = (n: number) => 3 * 4 * n; // params, m and v in fp32
    expect(full.trainable * 4).toBe(baseBytes);
    // Same bucket, same token and objective feeds: the difference is the trained state alone.
    expect(full.transfer.fedBytes - lora.transfer.fedBytes).toBe(state(full.trainable) - state(lora.trainable));
    expect(full.transfer.fetchedBytes - lora.transfer.fetchedBytes).toBe(state(full.trainable) - state(lora.trainable));
    expect(full.transfer.fetchedBytes).toBeGreaterThanOrEqual(state(full.trainable));
    expect(lora.transfer.fedBytes).toBeLessThan(baseBytes);
  });

  test("a LoRA base fed as inputs adds its bytes to every step; as initializers it stays in the session", async () => {
    const asInitializers = await stepOf({ kind: "lora", rank: 2, alpha: 4 }, "initializer");
    const asInputs = await stepOf({ kind: "lora", rank: 2, alpha: 4 }, "input");
    expect(asInputs.transfer.fedBytes - asInitializers.transfer.fedBytes).toBe(baseBytes);
    expect(asInputs.transfer.fetchedBytes).toBe(asInitializers.transfer.fetchedBytes);
  });
});
