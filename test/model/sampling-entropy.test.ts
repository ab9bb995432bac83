// The entropy sampleToken reports is that of the distribution the token is drawn from
// (softmax(logits / temperature) over the whole vocabulary; temperature 1 when greedy), and a
// completion cut at maxNewTokens is counted as truncated.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { sampleToken } from "../../src/model/sampler.ts";
import { loadModel } from "../../src/model/model.ts";
import { completionSampling, samplingMetrics } from "../../src/runtime/sampling-stats.ts";

setDefaultTimeout(60_000);

const uniform = (v: number) => new Float32Array(v).fill(0.25);
const oneHot = (v: number, at: number) => Float32Array.from({ length: v }, (_, i) => (i === at ? 0 : -Infinity));

describe("sampleToken entropy", () => {
  // [logits, sampling, expected entropy in nats, note]
  const cases: [Float32Array, { temperature: number; topK?: number; topP?: number }, number, string][] = [
    [uniform(53), { temperature: 1 }, Math.log(53), "uniform over V is log V"],
    [uniform(53), { temperature: 0.3 }, Math.log(53), "uniform stays uniform at any temperature"],
    [uniform(1000), { temperature: 0 }, Math.log(1000), "greedy: uniform is log V"],
    [oneHot(40, 7), { temperature: 1 }, 0, "one-hot (-Infinity elsewhere) is 0"],
    [oneHot(40, 7), { temperature: 0 }, 0, "greedy one-hot is 0"],
    [Float32Array.from([0, 80, 0, 0]), { temperature: 1 }, 0, "a dominant logit is ~0"],
    // z = [1, 2, 3] / 0.5 = [2, 4, 6]: p = [1, e^2, e^4] / (1 + e^2 + e^4), H = -sum p log p.
    [Float32Array.from([1, 2, 3]), { temperature: 0.5 }, 0.44105744405816333, "temperature 0.5 by hand"],
    [Float32Array.from([1, 2, 3]), { temperature: 1 }, 0.8323955818399389, "temperature 1 by hand"],
    [Float32Array.from([1, 2, 3]), { temperature: 0 }, 0.8323955818399389, "greedy is temperature 1"],
    [Float32Array.from([1, 2, 3]), { temperature: 0.5, topK: 1 }, 0.44105744405816333, "top-k does not change the entropy (untruncated distribution)"],
    [Float32Array.from([1, 2, 3]), { temperature: 0.5, topP: 0.5 }, 0.44105744405816333, "nor does top-p"],
  ];
  for (const [logits, p, want, note] of cases) {
    test(note, () => {
      for (const u of [0.01, 0.5, 0.99]) expect(sampleToken(logits, p, () => u).entropy).toBeCloseTo(want, 9);
    });
  }

  test("the entropy is a pure function of the logits, not of the draw", () => {
    const logits = Float32Array.from({ length: 97 }, (_, i) => Math.sin(i * 1.7) * 3);
    const hs = [0.1, 0.4, 0.9].map((u) => sampleToken(logits, { temperature: 0.8 }, () => u));
    expect(new Set(hs.map((h) => h.token)).size).toBeGreaterThan(1);
    expect(new Set(hs.map((h) => h.entropy)).size).toBe(1);
  });
});

describe("truncation and the per-role metrics", () => {
  test("a completion that reaches maxNewTokens is truncated; one ended by a stop token is not", () => {
    const base = { tokens: [5, 6, 7], entropies: [0.5, 1, 1.5] };
    expect(completionSampling({ ...base, finishReason: "length" })).toEqual({ completions: 1, tokens: 3, truncated: 1, entropySum: 3 });
    expect(completionSampling({ ...base, finishReason: "stop" })).toEqual({ completions: 1, tokens: 3, truncated: 0, entropySum: 3 });
  });

  test("metrics are per role means: entropy per token, truncation per completion, length per completion", () => {
    const m = samplingMetrics(
      { generator: { completions: 4, tokens: 40, truncated: 1, entropySum: 20 }, predictor: { completions: 8, tokens: 16, truncated: 0, entropySum: 4 } },
      { lengths: true },
    );
    expect(m).toEqual({ genEntropy: 0.5, genTruncFrac: 0.25, genResponseLen: 10, predEntropy: 0.25, predTruncFrac: 0, predResponseLen: 2 });
    expect(samplingMetrics({ predictor: { completions: 2, tokens: 2, truncated: 0, entropySum: 1 } }, { lengths: false })).toEqual({ predEntropy: 0.5, predTruncFrac: 0 });
    expect(samplingMetrics({}, { lengths: true })).toEqual({});
  });

  test("generate: the entropy of every token equals a fresh scoring's, and finishReason tells truncation", async () => {
    const m = loadModel(join(import.meta.dir, "../../fixtures/tiny-llama"), { deterministic: true });
    const prompt = m.tokenizer.encode("The capital of France is");
    const [cut] = await m.generate([{ prompt, maxNewTokens: 4, temperature: 0, stopTokenIds: [] }]);
    expect(cut.tokens.length).toBe(4);
    expect(cut.entropies.length).toBe(4);
    expect(cut.finishReason).toBe("length");
    expect(completionSampling(cut).truncated).toBe(1);
    // Greedy entropy is at temperature 1: the scorer's entropy of the same next-token distributions.
    const [sc] = await m.logprobs([[...prompt, ...cut.tokens]], { entropy: true });
    for (let k = 0; k < 4; k++) expect(cut.entropies[k]).toBeCloseTo(sc.entropy![prompt.length - 1 + k]!, 3);
    // Stopping on the second greedy token: a stop, not a truncation.
    const [stopped] = await m.generate([{ prompt, maxNewTokens: 4, temperature: 0, stopTokenIds: [cut.tokens[1]!] }]);
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.tokens.length).toBe(cut.tokens[0] === cut.tokens[1] ? 1 : 2);
    expect(completionSampling(stopped).truncated).toBe(0);
    await m.release();
  });
});
