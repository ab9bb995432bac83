import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../src/model/model.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = join(import.meta.dir, "../../fixtures/tiny-qwen3");

test("loadModel: score, generate with behaviour log-probs, train, snapshot/restore and digest", async () => {
  const m = loadModel(dir, { deterministic: true, lora: { rank: 4, alpha: 8 }, seed: 1 });
  const exp = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as { sequences: { ids: number[]; token_logprobs: number[] }[] };
  const [s] = await m.logprobs([exp.sequences[0].ids]);
  let err = 0;
  exp.sequences[0].token_logprobs.forEach((v, t) => (err = Math.max(err, Math.abs(s.logprobs[t] - v))));
  expect(err).toBeLessThan(1e-4);

  const prompt = m.tokenizer.encode("The capital of France is");
  const req = { prompt, maxNewTokens: 8, temperature: 1, topP: 0.9, rng: { seed: 7, step: 0, role: "gen", item: "k" } };
  const [g1] = await m.generate([req, { ...req, rng: { ...req.rng, sample: 1 } }]);
  expect(g1.tokens.length).toBeGreaterThan(0);
  expect(g1.logprobs.length).toBe(g1.tokens.length);
  expect(typeof g1.text).toBe("string");

  // The behaviour log-probs equal a fresh scoring of prompt + completion (temperature 1).
  const ids = [...prompt, ...g1.tokens];
  const [sc] = await m.logprobs([ids]);
  for (let k = 0; k < g1.tokens.length; k++) expect(Math.abs(sc.logprobs[prompt.length - 1 + k] - g1.logprobs[k])).toBeLessThan(1e-4);

  const d0 = m.digest();
  const snap = m.snapshot();
  const batch = [{ ids, completionStart: prompt.length, advantage: 1, behaviourLogprobs: g1.logprobs }];
  const r = await m.trainStep(batch, { lr: 1e-2, epsLow: 0.2, epsHigh: 0.28 });
  expect(Number.isFinite(r.loss)).toBe(true);
  const d1 = m.digest();
  expect(d1).not.toBe(d0);
  m.restore(snap);
  expect(m.digest()).toBe(d0);
  const [g2] = await m.generate([req]);
  expect(Array.from(g2.tokens)).toEqual(Array.from(g1.tokens));
  await m.release();
});
