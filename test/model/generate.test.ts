import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { frozenBinding, randomWeights } from "../../src/model/decoder.ts";
import { parseDecoderConfig } from "../../src/model/hf-config.ts";
import { Generator } from "../../src/model/generate.ts";
import { LogprobScorer } from "../../src/model/logprobs.ts";
import { sampleToken, selectTopK, selectTopP } from "../../src/model/sampler.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const tinyQwen3 = parseDecoderConfig({
  model_type: "qwen3", hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, head_dim: 16, rope_theta: 10000, vocab_size: 61, tie_word_embeddings: true,
});
const tinyLlama = parseDecoderConfig({
  model_type: "llama", hidden_size: 24, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 6,
  num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 500000, vocab_size: 53, attention_bias: true,
});

describe("KV-cache generation", () => {
  for (const [name, cfg] of [["qwen3", tinyQwen3], ["llama", tinyLlama]] as const) {
    test(`${name}: greedy with the cache equals greedy by re-running the full forward, for left-padded prompts of different lengths`, async () => {
      const w = randomWeights(cfg, 21);
      const bind = frozenBinding(cfg, w, "initializer");
      const gen = new Generator(cfg, bind, undefined, { session: { deterministic: true } });
      const prompts = [[3, 1, 4, 1, 5, 9, 2, 6], [2, 7], [1, 8, 2, 8, 1]];
      const res = await gen.generate(prompts.map((p) => ({ prompt: p, maxNewTokens: 12, temperature: 0 })));
      const scorer = new LogprobScorer(cfg, bind, { deterministic: true });
      for (let i = 0; i < prompts.length; i++) {
        const seq = [...prompts[i]];
        const want: number[] = [];
        const wantLp: number[] = [];
        for (let k = 0; k < 12; k++) {
          const [r] = await scorer.score([seq], { lastLogp: true });
          let best = 0;
          for (let v = 1; v < cfg.vocabSize; v++) if (r.lastLogp![v] > r.lastLogp![best]) best = v;
          want.push(best);
          wantLp.push(r.lastLogp![best]);
          seq.push(best);
        }
        expect(Array.from(res[i].tokens)).toEqual(want);
        for (let k = 0; k < 12; k++) expect(Math.abs(res[i].logprobs[k] - wantLp[k])).toBeLessThan(1e-4);
        expect(res[i].finishReason).toBe("length");
      }
      expect(gen.sessionCount).toBe(2);
      await gen.release();
      await scorer.release();
    });
  }

  test("seeded sampling is reproducible and depends on the seed; stop ids and stop strings end a row", async () => {
    const cfg = tinyQwen3;
    const w = randomWeights(cfg, 22);
    const decode = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join("");
    const gen = new Generator(cfg, frozenBinding(cfg, w, "initializer"), decode, { session: { deterministic: true } });
    const req = (seed: number, sample: number) => ({ prompt: [5, 6, 7], maxNewTokens: 20, temperature: 1.3, topP: 0.95, topK: 40, rng: { seed, step: 3, role: "gen", item: "p0", sample } });
    const a = await gen.generate([req(1, 0), req(1, 1)]);
    const b = await gen.generate([req(1, 0), req(1, 1)]);
    const c = await gen.generate([req(2, 0)]);
    expect(Array.from(a[0].tokens)).toEqual(Array.from(b[0].tokens));
    expect(Array.from(a[0].logprobs)).toEqual(Array.from(b[0].logprobs));
    expect(Array.from(a[0].tokens)).not.toEqual(Array.from(a[1].tokens));
    expect(Array.from(c[0].tokens)).not.toEqual(Array.from(a[0].tokens));
    expect(a[0].text).toBe(decode(Array.from(a[0].tokens)));

    const toks = Array.from(a[0].tokens);
    const stopId = toks[5];
    const firstStop = toks.indexOf(stopId);
    const [s] = await gen.generate([{ ...req(1, 0), stopTokenIds: [stopId] }]);
    expect(Array.from(s.tokens)).toEqual(toks.slice(0, firstStop + 1));
    expect(s.finishReason).toBe("stop");
    expect(s.text).toBe(decode(toks.slice(0, firstStop)));

    const full = decode(toks);
    const stop = full.slice(7, 9);
    const [t] = await gen.generate([{ ...req(1, 0), stopStrings: [stop] }]);
    expect(t.finishReason).toBe("stop");
    expect(t.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(t.tokens.length).toBeLessThanOrEqual(9);
    await gen.release();
  });
});

describe("sampler", () => {
  const probs = Float64Array.from([0.05, 0.3, 0.1, 0.25, 0.2, 0.1]);
  test("top-k keeps the k most likely tokens", () => {
    const idx = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const k = selectTopK(idx, 6, probs, 3);
    expect(Array.from(idx.subarray(0, k)).sort()).toEqual([1, 3, 4]);
  });
  test("top-p keeps the smallest most-likely set reaching the mass", () => {
    const idx = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const k = selectTopP(idx, 6, probs, 0.7);
    expect(Array.from(idx.subarray(0, k)).sort()).toEqual([1, 3, 4]);
    const idx2 = Int32Array.from([0, 1, 2, 3, 4, 5]);
    expect(selectTopP(idx2, 6, probs, 0.76)).toBe(4);
  });
  test("top-k 1 is greedy whatever the draw; log-prob is over the full tempered softmax", () => {
    const logits = Float32Array.from([0.1, 2, -1, 1.5]);
    for (const u of [0, 0.5, 0.999]) expect(sampleToken(logits, { temperature: 0.7, topK: 1 }, () => u).token).toBe(1);
    const s = sampleToken(logits, { temperature: 2 }, () => 0.999);
    const z = Array.from(logits, (x) => x / 2);
    const lse = Math.log(z.reduce((a, x) => a + Math.exp(x), 0));
    expect(s.logprob).toBeCloseTo(z[s.token] - lse, 6);
  });
});
