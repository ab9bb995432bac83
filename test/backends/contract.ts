// The LearnerBackend contract: one suite, run over every implementation (in the style of hono's
// common.case.test.ts). Each implementation supplies a BackendCase; learnerBackendContract()
// registers the same tests for it. What the learner actor and the replay rely on:
//
//   (a) determinism: two fresh backends given the same requests and batches give byte-identical
//       sample results, equal train results, equal digests and byte-identical snapshots;
//   (b) snapshot/restore: a snapshot restored into a fresh (or an already trained) backend gives
//       the same digest, and the next sample + train match the uninterrupted backend exactly;
//   (c) digest: equal to a fresh backend's at start, unchanged by sampling and by an empty batch,
//       changed by a train step with non-zero advantages;
//   (d) per-key seeding: a prompt's completions do not depend on which other prompts shared its
//       request, nor on their order (where the backend promises it).
//
// The workload is a PretrainZero step as the actors run it (src/actors/*): generator prompts over
// corpus passages, masks parsed from the generator's completions (src/tasks/pretrainzero/score.ts),
// predictor prompts over the masked passages, scored groups, then assembleBatch (src/rl/batch.ts).

import { type ActorState, isTensorState } from "../../src/runtime/actor-state.ts";
import { describe, expect, test } from "bun:test";
import { factbookPassages } from "../../src/data/factbook.ts";
import { encodeValue } from "../../src/protocol/codec.ts";
import type { Role, SamplePrompt, SampleRequest, SampleResponse, ScoredGroup } from "../../src/protocol/messages.ts";
import { assembleBatch, type Rollout } from "../../src/rl/batch.ts";
import type { GrpoBatch, TrainResult } from "../../src/rl/batch-types.ts";
import { DEFAULT_GRPO } from "../../src/rl/grpo.ts";
import type { LearnerBackend } from "../../src/backends/backend.ts";
import { rng } from "../../src/runtime/rng.ts";
import { randomSpanMask } from "../../src/tasks/baselines/masks.ts";
import { generatorPrompt, predictorPrompt, type TemplateName } from "../../src/tasks/pretrainzero/prompts.ts";
import { type MaskOutcome, masksForPassage, scorePassage } from "../../src/tasks/pretrainzero/score.ts";

export interface BackendCase {
  name: string;
  /** The run seed every case uses unless a test asks for another. */
  seed: number;
  /** A fresh backend for run seed `seed`, through the factory the learner uses. */
  create(seed: number): Promise<LearnerBackend>;
  template: TemplateName;
  /** Passages per step, words per passage, completions per generator and predictor prompt. */
  passages: number;
  words: number;
  genN: number;
  predN: number;
  /**
   * "task": the PretrainZero rewards (minmax). "length": reward = completion length in characters,
   * for random fixture models whose completions never hold a usable \mask{} or a right answer (the
   * task rewards would all be 0, every group dropped as zero-variance, and no train step would move
   * a parameter). The contract is about the backend, not about reward quality.
   */
  rewards: "task" | "length";
  /**
   * The backend answers any predictor prompt (a real model). When a passage has no usable mask from
   * the generator, a random-span mask (src/tasks/baselines/masks.ts) stands in so that the predictor
   * role is exercised too. The simulator only answers prompts masking a span its generator drew.
   */
  anyPredictorPrompt: boolean;
  /** Sampling is seeded per (run seed, step, role, prompt key, sample): results per key are independent of the request's other prompts. */
  perKeySeeding: boolean;
}

const corpus = factbookPassages();

/** Passages of step `step`: distinct corpus paragraphs cut to `words` words, keys "s<step>/p<i>". */
export function passagesAt(c: BackendCase, step: number): SamplePrompt[] {
  return Array.from({ length: c.passages }, (_, i) => ({
    key: `s${step}/p${i}`,
    text: corpus[(step * c.passages + i) % corpus.length]!.split(/\s+/).slice(0, c.words).join(" "),
  }));
}

function request(step: number, role: Role, prompts: SamplePrompt[], n: number): SampleRequest {
  return { type: "sample.request", step, version: step, role, prompts, n };
}

type Results = SampleResponse["results"];

/** Exact bytes of sample results (texts, token ids, f32/f64 log-probs), through the wire codec. */
export function resultBytes(results: Results): Uint8Array {
  const sorted = [...results].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return encodeValue(sorted);
}

export interface StepRecord {
  gen: Results;
  pred: Results;
  batch: GrpoBatch;
  /** Samples (completions) the batch trains on. */
  trained: number;
}

interface Sampler {
  (role: Role, prompts: SamplePrompt[], n: number): Promise<Results>;
}

/**
 * Sample one PretrainZero step and assemble its batch (without training). `sampler` lets a test
 * split or reorder the requests; by default each role goes in one request in key order.
 */
export async function sampleStep(c: BackendCase, be: LearnerBackend, step: number, sampler?: Sampler): Promise<StepRecord> {
  const send: Sampler = sampler ?? ((role, prompts, n) => be.sample(request(step, role, prompts, n), `${role}-${step}`));
  const passages = passagesAt(c, step);
  const genPrompts = passages.map((p) => ({ key: p.key, text: generatorPrompt(p.text, c.template) }));
  const gen = await send("generator", genPrompts, c.genN);
  const genByKey = new Map(gen.map((r) => [r.key, r]));

  const rollouts = new Map<string, Rollout>();
  const masks = new Map<string, MaskOutcome[]>();
  const predPrompts: SamplePrompt[] = [];
  for (const [i, p] of passages.entries()) {
    const r = genByKey.get(p.key);
    if (r === undefined) throw new Error(`${c.name}: no generator results for ${p.key}`);
    rollouts.set(p.key, { prompt: genPrompts[i]!.text, completions: r.completions });
    const m = masksForPassage({ passageKey: p.key, passage: p.text, completions: r.completions.map((x) => x.text), seed: c.seed, step });
    masks.set(p.key, m);
    for (const x of m) if (x.masked !== null) predPrompts.push({ key: x.maskKey, text: predictorPrompt(x.masked, c.template) });
    if (c.anyPredictorPrompt && m.every((x) => x.masked === null)) {
      const stand = randomSpanMask(p.text, rng({ seed: c.seed, step, role: "mask", item: p.key }));
      if (stand) predPrompts.push({ key: `${p.key}/r`, text: predictorPrompt(stand.masked, c.template) });
    }
  }
  const pred = predPrompts.length ? await send("predictor", predPrompts, c.predN) : [];
  const predByKey = new Map(pred.map((r) => [r.key, r]));
  for (const p of predPrompts) {
    const r = predByKey.get(p.key);
    if (r === undefined) throw new Error(`${c.name}: no predictor results for ${p.key}`);
    rollouts.set(p.key, { prompt: p.text, completions: r.completions });
  }

  let scored: ScoredGroup[];
  if (c.rewards === "task") {
    const texts = new Map(pred.map((r) => [r.key, r.completions.map((x) => x.text)]));
    scored = passages.flatMap((p) => scorePassage({ passageKey: p.key, masks: masks.get(p.key)!, predictions: texts, design: "minmax" }));
  } else {
    const predKeys = new Set(predPrompts.map((p) => p.key));
    scored = [...rollouts].map(([key, r]): ScoredGroup => ({
      role: predKeys.has(key) ? "predictor" : "generator",
      key,
      rewards: r.completions.map((x) => x.text.length),
    }));
  }
  const { batch, stats } = assembleBatch({ step, version: step, rollouts, scored, config: DEFAULT_GRPO, trainRoles: ["generator", "predictor"] });
  return { gen, pred, batch, trained: stats.trained };
}

export interface RunRecord extends StepRecord {
  result: TrainResult;
  digest: string;
}

export async function runStep(c: BackendCase, be: LearnerBackend, step: number): Promise<RunRecord> {
  const s = await sampleStep(c, be, step);
  const result = await be.train(s.batch);
  return { ...s, result, digest: be.digest() };
}

function bytes(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Byte equality with a readable failure: the first differing offset. */
/** A state as one byte string for comparison: bytes as they are; a tensor state as its meta, then each file's tensor names and values. */
function stateAsBytes(s: ActorState): Uint8Array {
  if (!isTensorState(s)) return s;
  const parts: Uint8Array[] = [s.meta];
  for (const [file, ts] of Object.entries(s.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    parts.push(new TextEncoder().encode(file));
    for (const t of ts) parts.push(new TextEncoder().encode(`${t.name}[${t.shape.join(",")}]`), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return new Uint8Array(Buffer.concat(parts));
}

export function expectSameBytes(a: ActorState, b: ActorState, what: string): void {
  const x = bytes(stateAsBytes(a));
  const y = bytes(stateAsBytes(b));
  if (x.equals(y)) return;
  let i = 0;
  while (i < Math.min(x.length, y.length) && x[i] === y[i]) i++;
  expect(`${what}: ${x.length} vs ${y.length} bytes, first difference at ${i}`).toBe(`${what}: identical`);
}

function expectSameStep(a: RunRecord, b: RunRecord): void {
  expectSameBytes(resultBytes(a.gen), resultBytes(b.gen), "generator samples");
  expectSameBytes(resultBytes(a.pred), resultBytes(b.pred), "predictor samples");
  expect(b.result).toEqual(a.result);
  expect(b.digest).toBe(a.digest);
}

/** Loss and gradient norm are numbers, the clip fraction a fraction. */
export function expectFiniteTrain(r: TrainResult): void {
  expect({ loss: Number.isFinite(r.loss), gradNorm: Number.isFinite(r.gradNorm) }).toEqual({ loss: true, gradNorm: true });
  expect(r.gradNorm).toBeGreaterThanOrEqual(0);
  expect(r.clipFrac).toBeGreaterThanOrEqual(0);
  expect(r.clipFrac).toBeLessThanOrEqual(1);
}

function hasSignal(s: StepRecord): boolean {
  return s.batch.groups.some((g) => g.advantages.some((x) => x !== 0));
}

export function learnerBackendContract(c: BackendCase): void {
  describe(`LearnerBackend contract: ${c.name}`, () => {
    test("the workload is non-trivial (both roles sampled, non-zero advantages) and trains to finite results", async () => {
      const be = await c.create(c.seed);
      for (let step = 0; step < 2; step++) {
        const s = await sampleStep(c, be, step);
        expect(s.gen.length).toBe(c.passages);
        expect(s.pred.length).toBeGreaterThan(0);
        for (const r of [...s.gen, ...s.pred]) expect(r.completions.length).toBe(s.gen.includes(r) ? c.genN : c.predN);
        expect(s.trained).toBeGreaterThan(0);
        expect(hasSignal(s)).toBe(true);
        expectFiniteTrain(await be.train(s.batch));
      }
    });

    describe("(a) determinism", () => {
      test("two fresh backends given the same requests and batches agree byte for byte", async () => {
        const a = await c.create(c.seed);
        const b = await c.create(c.seed);
        for (let step = 0; step < 2; step++) expectSameStep(await runStep(c, a, step), await runStep(c, b, step));
        expectSameBytes(a.snapshot(), b.snapshot(), "snapshots");
      });

      test("another run seed samples differently and so trains to a different digest", async () => {
        const a = await runStep(c, await c.create(c.seed), 0);
        const b = await runStep(c, await c.create(c.seed + 1), 0);
        expect(bytes(resultBytes(b.gen)).equals(bytes(resultBytes(a.gen)))).toBe(false);
        expect(b.digest).not.toBe(a.digest);
      });

      test("sampling the same request twice gives the same results", async () => {
        const be = await c.create(c.seed);
        const first = await sampleStep(c, be, 0);
        const again = await sampleStep(c, be, 0);
        expectSameBytes(resultBytes(again.gen), resultBytes(first.gen), "generator samples");
        expectSameBytes(resultBytes(again.pred), resultBytes(first.pred), "predictor samples");
      });
    });

    describe("(b) snapshot and restore", () => {
      test("restored after a train step, a fresh backend continues exactly like the uninterrupted one", async () => {
        const a = await c.create(c.seed);
        await runStep(c, a, 0);
        const snap = a.snapshot();
        const b = await c.create(c.seed);
        b.restore(snap);
        expect(b.digest()).toBe(a.digest());
        expectSameBytes(b.snapshot(), snap, "snapshot of the restored backend");
        expectSameStep(await runStep(c, a, 1), await runStep(c, b, 1));
      });

      test("restore replaces all state of a backend that has trained elsewhere", async () => {
        const a = await c.create(c.seed);
        await runStep(c, a, 0);
        const snap = a.snapshot();
        const used = await c.create(c.seed);
        await runStep(c, used, 0);
        await runStep(c, used, 1);
        used.restore(snap);
        expect(used.digest()).toBe(a.digest());
        expectSameStep(await runStep(c, a, 1), await runStep(c, used, 1));
      });

      test("a snapshot taken between sampling and training resumes the step", async () => {
        const a = await c.create(c.seed);
        await runStep(c, a, 0);
        const s = await sampleStep(c, a, 1);
        const b = await c.create(c.seed);
        b.restore(a.snapshot());
        const ra = await a.train(s.batch);
        const rb = await b.train(s.batch);
        expect(rb).toEqual(ra);
        expect(b.digest()).toBe(a.digest());
      });
    });

    describe("(c) digest", () => {
      test("a fresh backend's digest is a stable hex string, equal across fresh backends", async () => {
        const a = await c.create(c.seed);
        const b = await c.create(c.seed);
        expect(a.digest()).toMatch(/^[0-9a-f]{16,}$/);
        expect(a.digest()).toBe(a.digest());
        expect(b.digest()).toBe(a.digest());
      });

      test("sampling leaves the digest alone; an empty batch too; a real train step changes it", async () => {
        const be = await c.create(c.seed);
        const d0 = be.digest();
        const s = await sampleStep(c, be, 0);
        expect(be.digest()).toBe(d0);
        await be.train({ step: 0, version: 0, groups: [] });
        expect(be.digest()).toBe(d0);
        expect(hasSignal(s)).toBe(true);
        await be.train(s.batch);
        const d1 = be.digest();
        expect(d1).not.toBe(d0);
        // and sampling after training does not move it either
        await sampleStep(c, be, 1);
        expect(be.digest()).toBe(d1);
      });
    });

    describe("(d) per-key seeding", () => {
      test.skipIf(!c.perKeySeeding)("a prompt's completions do not depend on the other prompts of its request, nor on their order", async () => {
        const whole = await sampleStep(c, await c.create(c.seed), 0);
        // Same step on a fresh backend, every request split in two and sent in reverse key order.
        const be = await c.create(c.seed);
        const split = await sampleStep(c, be, 0, async (role, prompts, n) => {
          const rev = [...prompts].reverse();
          const h = Math.ceil(rev.length / 2);
          const r1 = await be.sample(request(0, role, rev.slice(0, h), n), `${role}-a`);
          const r2 = h < rev.length ? await be.sample(request(0, role, rev.slice(h), n), `${role}-b`) : [];
          return [...r2, ...r1];
        });
        expectSameBytes(resultBytes(split.gen), resultBytes(whole.gen), "generator samples");
        expectSameBytes(resultBytes(split.pred), resultBytes(whole.pred), "predictor samples");
        // One prompt alone.
        const alone = await be.sample(request(0, "generator", [{ key: whole.gen[1]!.key, text: generatorPrompt(passagesAt(c, 0)[1]!.text, c.template) }], c.genN), "alone");
        expectSameBytes(resultBytes(alone), resultBytes([whole.gen.find((r) => r.key === whole.gen[1]!.key)!]), "a prompt sampled alone");
      });

      test.skipIf(!c.perKeySeeding)("the seed key matters: the same prompt under another key samples differently", async () => {
        const be = await c.create(c.seed);
        const p = passagesAt(c, 0)[0]!;
        const text = generatorPrompt(p.text, c.template);
        const [x, y] = await be.sample(request(0, "generator", [{ key: "k1", text }, { key: "k2", text }], c.genN), "keys");
        expect(encodeValue(x!.completions)).not.toEqual(encodeValue(y!.completions));
      });
    });

    test("entropies, where implemented, are deterministic and one per word (word 0: 0)", async () => {
      const be = await c.create(c.seed);
      if (be.entropies === undefined) return;
      const passages = passagesAt(c, 0);
      const a = await be.entropies(passages, 0);
      const b = await (await c.create(c.seed)).entropies!([...passages].reverse(), 0);
      for (const [i, p] of passages.entries()) {
        const r = a.find((x) => x.key === p.key)!;
        expect(r.entropies.length).toBe(p.text.split(/\s+/).length);
        expect(r.entropies[0]).toBe(0);
        expect(r.entropies.slice(1).every((h) => Number.isFinite(h) && h >= 0)).toBe(true);
        expect(b.find((x) => x.key === p.key)!.entropies).toEqual(r.entropies);
        if (i === 0) expect(r.entropies.some((h) => h > 0)).toBe(true);
      }
    });
  });
}
