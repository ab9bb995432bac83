import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { Generator, type GenerateRequest } from "../../src/model/generate.ts";
import { LmTrainer, type TrainSequence } from "../../src/model/lm-trainer.ts";
import { LogprobScorer } from "../../src/model/logprobs.ts";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import { openModelWeights } from "../../src/model/safetensors.ts";

setDefaultTimeout(60_000);

// Full fine-tuning on CUDA puts the current weights into its inference sessions as initializers
// (one device copy per step, not per decode step). Forced here on the CPU, where it must give the
// inputs path's numbers and leave no session of old weights behind.
const DIR = join(import.meta.dir, "../../fixtures/tiny-qwen3");
const cfg = loadDecoderConfig(DIR);
const session = { deterministic: true } as const;
const requests: GenerateRequest[] = [
  { prompt: [5, 9, 14, 3], maxNewTokens: 6, temperature: 0, stopTokenIds: [] },
  { prompt: [7, 2], maxNewTokens: 6, temperature: 1, topP: 0.9, stopTokenIds: [], rng: { seed: 3, step: 0, role: "test", item: "a" } },
];
const seqs = [[5, 9, 14, 3, 8, 1, 30], [7, 2, 11, 40]];
const batch: TrainSequence[] = seqs.map((ids, b) => ({ ids, completionStart: 2, advantage: b ? -1 : 1, behaviourLogprobs: new Float32Array(ids.length - 2).fill(-6) }));

function side(fullWeights: "inputs" | "initializers") {
  const trainer = new LmTrainer(cfg, openModelWeights(DIR, cfg).readAllF32(), { kind: "full" }, { session, fullWeights });
  const binding = trainer.binding();
  return { trainer, scorer: new LogprobScorer(cfg, binding, session), generator: new Generator(cfg, binding, undefined, { session }) };
}

async function observe(s: ReturnType<typeof side>) {
  const gen = await s.generator.generate(requests);
  const lp = await s.scorer.score(seqs);
  return { tokens: gen.map((g) => Array.from(g.tokens)), genLogprobs: gen.map((g) => Array.from(g.logprobs)), logprobs: lp.map((r) => Array.from(r.logprobs)) };
}

describe("full fine-tuning's weights as initializers of per-version sessions", () => {
  test("give the inputs path's samples and log-probs bit for bit, before and after steps, and drop old sessions", async () => {
    const inputs = side("inputs");
    const resident = side("initializers");
    try {
      const before = await observe(resident);
      expect(before).toEqual(await observe(inputs));
      const sessions = [resident.generator.sessionCount, resident.scorer.sessionCount];
      for (let i = 0; i < 2; i++) {
        const a = await inputs.trainer.step(batch, { lr: 0.05, epsLow: 0.2, epsHigh: 0.28 });
        const b = await resident.trainer.step(batch, { lr: 0.05, epsLow: 0.2, epsHigh: 0.28 });
        expect(b.loss).toBe(a.loss);
      }
      const after = await observe(resident);
      expect(after).toEqual(await observe(inputs));
      expect(after.logprobs).not.toEqual(before.logprobs); // the sessions hold the new weights
      // The replaced weights' sessions were released: as many as one version needs.
      expect([resident.generator.sessionCount, resident.scorer.sessionCount]).toEqual(sessions);
    } finally {
      for (const s of [inputs, resident]) {
        await s.generator.release();
        await s.scorer.release();
        await s.trainer.release();
      }
    }
  });

  test("swapping the parameters in and back (withParameters) rebuilds with the swapped-in weights", async () => {
    const resident = side("initializers");
    try {
      const own = await resident.scorer.score(seqs);
      const saved = resident.trainer.paramGroups;
      resident.trainer.paramGroups = saved.map((p) => p.map((x) => x * 0.5));
      const halved = await resident.scorer.score(seqs);
      resident.trainer.paramGroups = saved;
      const back = await resident.scorer.score(seqs);
      expect(Array.from(halved[0]!.logprobs)).not.toEqual(Array.from(own[0]!.logprobs));
      expect(Array.from(back[0]!.logprobs)).toEqual(Array.from(own[0]!.logprobs));
    } finally {
      await resident.scorer.release();
      await resident.generator.release();
      await resident.trainer.release();
    }
  });
});
