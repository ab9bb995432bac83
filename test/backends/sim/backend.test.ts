import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { factbookPassages } from "../../../src/data/factbook.ts";
import type { SampleRequest, SampleResponse } from "../../../src/protocol/messages.ts";
import { assembleBatch, type Rollout } from "../../../src/rl/batch.ts";
import { DEFAULT_GRPO } from "../../../src/rl/grpo.ts";
import { parseMask } from "../../../src/tasks/pretrainzero/mask.ts";
import { generatorPrompt, predictorPrompt } from "../../../src/tasks/pretrainzero/prompts.ts";
import { parseBoxed } from "../../../src/tasks/pretrainzero/rewards.ts";
import { masksForPassage, scorePassage } from "../../../src/tasks/pretrainzero/score.ts";
import { SimBackend, type SimConfig } from "../../../src/backends/sim/backend.ts";
import { runInProcessStep } from "../../helpers/sim-loop.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const corpus = factbookPassages();
const passagesAt = (step: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: `s${step}/p${i}`, text: corpus[(step * n + i) % corpus.length]! }));

function req(step: number, role: "generator" | "predictor", prompts: { key: string; text: string }[], n = 8): SampleRequest {
  return { type: "sample.request", step, version: step, role, prompts, n };
}

const byKey = (results: SampleResponse["results"]) => new Map(results.map((r) => [r.key, r.completions.map((c) => c.text)]));

/**
 * One step driven by hand so the test controls request order: `order` permutes prompts, and
 * `split` sends them in two requests. Returns every sampled text by key, the scored groups and the digest.
 */
async function handStep(be: SimBackend, step: number, reverse: boolean, split: boolean) {
  const passages = passagesAt(step, 6);
  const send = async (role: "generator" | "predictor", prompts: { key: string; text: string }[]) => {
    const ordered = reverse ? [...prompts].reverse() : prompts;
    if (!split) return be.sample(req(step, role, ordered), "r");
    const h = Math.floor(ordered.length / 2);
    return [...(await be.sample(req(step, role, ordered.slice(h)), "r1")), ...(await be.sample(req(step, role, ordered.slice(0, h)), "r2"))];
  };
  const genPrompts = passages.map((p) => ({ key: p.key, text: generatorPrompt(p.text) }));
  const gen = byKey(await send("generator", genPrompts));
  const rollouts = new Map<string, Rollout>();
  const predPrompts: { key: string; text: string }[] = [];
  const masks = new Map<string, ReturnType<typeof masksForPassage>>();
  for (const p of passages) {
    const texts = gen.get(p.key)!;
    rollouts.set(p.key, { prompt: generatorPrompt(p.text), completions: texts.map((text) => ({ text })) });
    const m = masksForPassage({ passageKey: p.key, passage: p.text, completions: texts, seed: 7, step });
    masks.set(p.key, m);
    for (const x of m) if (x.masked !== null) predPrompts.push({ key: x.maskKey, text: predictorPrompt(x.masked) });
  }
  const pred = byKey(await send("predictor", predPrompts));
  for (const p of predPrompts) rollouts.set(p.key, { prompt: p.text, completions: pred.get(p.key)!.map((text) => ({ text })) });
  const scored = passages.flatMap((p) => scorePassage({ passageKey: p.key, masks: masks.get(p.key)!, predictions: pred, design: be.config.design }));
  const { batch } = assembleBatch({ step, version: step, rollouts, scored: reverse ? scored.reverse() : scored, config: DEFAULT_GRPO, trainRoles: ["generator", "predictor"] });
  const result = await be.train(batch);
  return { gen, pred, result, digest: be.digest() };
}

describe("SimBackend determinism", () => {
  test("outputs and parameters are bit-identical whatever order and grouping the requests arrive in", async () => {
    const cfg: SimConfig = { seed: 11, design: "minmax" };
    const a = new SimBackend(cfg);
    const b = new SimBackend(cfg);
    for (let step = 0; step < 4; step++) {
      const ra = await handStep(a, step, false, false);
      const rb = await handStep(b, step, true, true);
      expect(new Map([...rb.gen].sort())).toEqual(new Map([...ra.gen].sort()));
      expect(new Map([...rb.pred].sort())).toEqual(new Map([...ra.pred].sort()));
      expect(rb.result).toEqual(ra.result);
      expect(rb.digest).toBe(ra.digest);
    }
    expect(Buffer.from(b.snapshot()).equals(Buffer.from(a.snapshot()))).toBe(true);
  });

  test("a different seed gives different samples", async () => {
    const p = passagesAt(0, 4).map((x) => ({ key: x.key, text: generatorPrompt(x.text) }));
    const a = await new SimBackend({ seed: 1, design: "minmax" }).sample(req(0, "generator", p), "r");
    const b = await new SimBackend({ seed: 2, design: "minmax" }).sample(req(0, "generator", p), "r");
    expect(a).not.toEqual(b);
  });
});

describe("SimBackend sampling", () => {
  test("generator completions name a valid span; predictor answers are right or a different span", async () => {
    const be = new SimBackend({ seed: 5, design: "minmax" });
    const passages = passagesAt(3, 8);
    const gen = await be.sample(req(3, "generator", passages.map((p) => ({ key: p.key, text: generatorPrompt(p.text) }))), "g");
    let right = 0;
    let wrong = 0;
    for (const [i, r] of gen.entries()) {
      expect(r.completions.length).toBe(8);
      const masks = masksForPassage({ passageKey: r.key, passage: passages[i]!.text, completions: r.completions.map((c) => c.text), seed: 5, step: 3 });
      for (const m of masks) {
        expect(m.invalid).toBeUndefined();
        const [res] = await be.sample(req(3, "predictor", [{ key: m.maskKey, text: predictorPrompt(m.masked!) }]), "p");
        for (const c of res!.completions) {
          const answer = parseBoxed(c.text);
          expect(answer).not.toBeNull();
          if (answer === m.span) right++;
          else {
            wrong++;
            expect(passages[i]!.text.includes(answer!)).toBe(true);
          }
        }
      }
    }
    expect(right).toBeGreaterThan(0);
    expect(wrong).toBeGreaterThan(0);
  });

  test("predictor prompts are recognised under single-occurrence masking too", async () => {
    const be = new SimBackend({ seed: 5, design: "minmax" });
    const p = passagesAt(0, 1)[0]!;
    const [g] = await be.sample(req(0, "generator", [{ key: p.key, text: generatorPrompt(p.text) }], 16), "g");
    const masks = masksForPassage({ passageKey: p.key, passage: p.text, completions: g!.completions.map((c) => c.text), mask: { mode: "one" }, seed: 5, step: 0 });
    const out = await be.sample(req(0, "predictor", masks.map((m) => ({ key: m.maskKey, text: predictorPrompt(m.masked!) }))), "p");
    expect(out.length).toBe(16);
  });

  test("an unknown masked passage is a clear error", async () => {
    const be = new SimBackend({ seed: 5, design: "minmax" });
    await expect(be.sample(req(0, "predictor", [{ key: "k", text: predictorPrompt("nothing [mask] here") }]), "p")).rejects.toThrow(/"k".*step 0/);
  });

  test("a prompt that is not a generator prompt is rejected", async () => {
    const be = new SimBackend({ seed: 5, design: "minmax" });
    await expect(be.sample(req(0, "generator", [{ key: "k", text: "hello" }]), "g")).rejects.toThrow(/not a generator prompt/);
  });

  test("random design draws spans uniformly", async () => {
    const be = new SimBackend({ seed: 9, design: "random" });
    const p = passagesAt(0, 1)[0]!;
    const [g] = await be.sample(req(0, "generator", [{ key: p.key, text: generatorPrompt(p.text) }], 2000), "g");
    const words = g!.completions.map((c) => {
      const m = parseMask(c.text);
      return "span" in m ? m.span.split(/\s+/).length : 0;
    });
    const c = be.candidates(p.text);
    const expected = Array.from(c.words).filter((w) => w === 1).length / c.words.length;
    expect(words.filter((w) => w === 1).length / words.length).toBeCloseTo(expected, 1);
  });
});

describe("SimBackend snapshot", () => {
  test("restore gives back bit-identical parameters, optimizer state and step caches", async () => {
    const a = new SimBackend({ seed: 3, design: "plain" });
    for (let s = 0; s < 3; s++) await runInProcessStep({ backend: a, step: s, version: s, seed: 3, design: "plain", passages: passagesAt(s, 4), genN: 8, predN: 8 });
    // leave step 3 half done: sampled, not trained, so the caches matter
    const passages = passagesAt(3, 4);
    await a.sample(req(3, "generator", passages.map((p) => ({ key: p.key, text: generatorPrompt(p.text) }))), "g");
    const snap = a.snapshot();
    const b = new SimBackend({ seed: 3, design: "plain" });
    expect(b.digest()).not.toBe(a.digest());
    b.restore(snap);
    expect(b.digest()).toBe(a.digest());
    expect(Buffer.from(b.snapshot()).equals(Buffer.from(snap))).toBe(true);
    // both continue identically: the step-3 predictor requests need the restored mask cache
    const ra = await runInProcessStep({ backend: a, step: 3, version: 3, seed: 3, design: "plain", passages, genN: 8, predN: 8 });
    const rb = await runInProcessStep({ backend: b, step: 3, version: 3, seed: 3, design: "plain", passages, genN: 8, predN: 8 });
    expect(rb.stats).toEqual(ra.stats);
    expect(b.digest()).toBe(a.digest());
  });

  test("restore rejects foreign or mismatched snapshots", () => {
    const a = new SimBackend({ seed: 3, design: "plain" });
    expect(() => new SimBackend({ seed: 4, design: "plain" }).restore(a.snapshot())).toThrow(/seed 3/);
    expect(() => a.restore(new Uint8Array(20))).toThrow(/bad magic/);
  });

  test("digest is a stable 16-digit hex string that changes with training", async () => {
    const a = new SimBackend({ seed: 3, design: "minmax" });
    const d0 = a.digest();
    expect(d0).toMatch(/^[0-9a-f]{16}$/);
    expect(new SimBackend({ seed: 99, design: "minmax" }).digest()).toBe(d0);
    await runInProcessStep({ backend: a, step: 0, version: 0, seed: 3, design: "minmax", passages: passagesAt(0, 4), genN: 8, predN: 8 });
    expect(a.digest()).not.toBe(d0);
  });
});
