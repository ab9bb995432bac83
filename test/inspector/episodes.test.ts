// Episodes out of a recorded log, checked against the raw records (no browser).

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractEpisodes, loadEpisodeIndex, matchesFilter, spanHighlights, type EpisodeIndex, type RawLogRecord } from "../../src/inspector/episodes.ts";
import { LogError, readEpisodeLog, type EpisodeLog, type LogHeader } from "../../src/protocol/log.ts";
import type { Scored } from "../../src/protocol/messages.ts";
import type { Masks } from "../../src/tasks/pretrainzero/messages.ts";
import { groupAdvantages } from "../../src/rl/advantages.ts";
import { recordRun } from "./fixture.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-episodes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let log: EpisodeLog;
let index: EpisodeIndex;
let logPath: string;
beforeAll(() => {
  logPath = recordRun(dir, "ep").log;
  log = readEpisodeLog(logPath);
  index = loadEpisodeIndex(logPath);
}, 60_000);

const scored = () => log.records.filter((r) => r.type === "scored").map((r) => r.msg as Scored);
const masks = () => log.records.filter((r) => r.type === "masks").map((r) => r.msg as Masks);

test("every generator rollout of every step becomes one episode, in step order", () => {
  expect(index.episodes).toHaveLength(3 * 4 * 4);
  expect(index.steps.map((s) => s.step)).toEqual([0, 1, 2]);
  expect(index.steps.every((s) => s.episodes === 16 && s.passages === 4)).toBe(true);
  const steps = index.episodes.map((e) => e.step);
  expect(steps).toEqual([...steps].sort((a, b) => a - b));
  expect(new Set(index.episodes.map((e) => `${e.step}|${e.id}`)).size).toBe(48);
  expect(index.warnings).toEqual([]);
});

test("rewards and advantages of both roles are the scored rewards and groupAdvantages of them", () => {
  let checked = 0;
  for (const s of scored()) {
    for (const g of s.groups) {
      const want = groupAdvantages(g.rewards);
      if (g.role === "generator") {
        const eps = index.episodes.filter((e) => e.step === s.step && e.passageKey === g.key);
        expect(eps).toHaveLength(g.rewards.length);
        for (const e of eps) {
          expect(e.generator!.reward).toBe(g.rewards[e.index]!);
          expect(e.generator!.advantage).toBe(want[e.index]!);
        }
      } else {
        const e = index.episodes.find((x) => x.step === s.step && x.id === g.key)!;
        expect(e.predictions.map((p) => p.reward)).toEqual(g.rewards);
        expect(e.predictions.map((p) => p.advantage)).toEqual(want);
        expect(e.predictor!.acc).toBe(g.acc!);
      }
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(40);
});

test("the highlighted ranges are the span, and masking them gives the masked passage the predictor saw", () => {
  for (const m of masks()) {
    for (const mk of m.masks) {
      const e = index.episodes.find((x) => x.step === m.step && x.id === mk.maskId)!;
      expect(e.masked).toBe(mk.masked);
      expect(e.highlights.length).toBeGreaterThan(0);
      let rebuilt = "";
      let at = 0;
      for (const [a, b] of e.highlights) {
        expect(e.passage!.slice(a, b)).toBe(e.span!);
        rebuilt += `${e.passage!.slice(at, a)}[mask]`;
        at = b;
      }
      expect(rebuilt + e.passage!.slice(at)).toBe(mk.masked);
    }
  }
});

test("each prediction shows the completion and its \\boxed answer", () => {
  const e = index.episodes.find((x) => x.predictions.length > 0)!;
  expect(e.predictions).toHaveLength(4);
  for (const p of e.predictions) expect(p.completion).toContain(`\\boxed{${p.answer}}`);
  expect(e.generatorCompletion).toContain(`\\mask{${e.span}}`);
});

test("step summaries carry the learner's metrics of the update that closed the step", () => {
  for (const s of index.steps) {
    expect(s.stats).not.toBeNull();
    expect(s.stats!.genReward).toBeCloseTo(s.meanGenReward!, 12);
    expect(s.stats!.predAcc).toBeCloseTo(s.meanPredAcc!, 12);
  }
});

test("only one mask of several occurrences is highlighted when only one was masked", () => {
  const passage = "a cat and a cat and a dog";
  expect(spanHighlights(passage, "a cat and a [mask] and a dog", "cat")).toEqual([[12, 15]]);
  expect(spanHighlights(passage, "a [mask] and a [mask] and a dog", "cat")).toEqual([[2, 5], [12, 15]]);
  // Not aligned (e.g. another template): every occurrence.
  expect(spanHighlights(passage, "something else", "cat")).toEqual([[2, 5], [12, 15]]);
  expect(spanHighlights(passage, null, null)).toEqual([]);
});

// ---- synthetic records: what a simulate run rarely produces

const header = (config: Record<string, unknown>): LogHeader => ({ format: 1, protocol: 1, command: "test", config });
const rec = (seq: number, type: string, msg: Record<string, unknown>, from = "generator", to = "learner"): RawLogRecord => ({
  seq,
  step: 0,
  from,
  to,
  type,
  id: `${seq}`,
  msg: { type, ...msg },
});
const GEN_PROMPT_OF = (p: string) => `You are given a paragraph. Choose words in it to hide, so that a reader must recover them from the rest of the paragraph.\nRequirements for the masked words:\n1. They are one or more entities forming ONE contiguous run of words of the paragraph.\n2. They match words of the paragraph exactly: same spelling, capitalisation and punctuation.\n3. They can be predicted from the context, are moderately hard to predict, and have a short answer that is as unique as possible.\n\nParagraph:\n<<<\n${p}\n>>>\n\nFirst think step by step about which words to mask. Then write the chosen words, exactly as they appear, as \\mask{...} at the end of your answer.`;

function synthetic(): RawLogRecord[] {
  return [
    rec(1, "sample.request", { step: 0, version: 0, role: "generator", n: 2, prompts: [{ key: "s0/p0", text: GEN_PROMPT_OF("the red fox") }] }),
    rec(2, "sample.response", { request: "1", step: 0, version: 0, role: "generator", results: [{ key: "s0/p0", completions: [{ text: "\\mask{red}" }, { text: "no mask" }] }] }, "learner", "generator"),
    rec(3, "masks", { step: 0, version: 0, passage: "s0/p0", masks: [{ maskId: "s0/p0/g0", masked: "the [mask] fox" }] }, "generator", "predictor"),
    rec(4, "answers", { step: 0, passage: "s0/p0", answers: [{ maskId: "s0/p0/g0", span: "red" }, { maskId: "s0/p0/g1", span: null, invalid: "no-mask" }] }, "generator", "reward"),
    rec(5, "predictions", { step: 0, passage: "s0/p0", groups: [{ maskId: "s0/p0/g0", completions: ["\\boxed{red}", "\\boxed{red}"] }] }, "predictor", "reward"),
    rec(6, "scored", { step: 0, passage: "s0/p0", groups: [
      { role: "generator", key: "s0/p0", rewards: [0, 0], spanWords: [1, 0], invalid: 1 },
      { role: "predictor", key: "s0/p0/g0", rewards: [1, 1], acc: 1 },
    ] }, "reward", "learner"),
  ];
}

test("an invalid mask is an episode without masked passage or predictions, with the reason", () => {
  const x = extractEpisodes(header({ design: "minmax" }), synthetic());
  const bad = x.episodes.find((e) => e.id === "s0/p0/g1")!;
  expect(bad.invalid).toBe("no-mask");
  expect(bad.masked).toBeNull();
  expect(bad.predictor).toBeNull();
  expect(bad.predictions).toEqual([]);
  expect(bad.generatorCompletion).toBe("no mask");
  expect(x.warnings).toEqual([]);
});

test("zero-variance groups and untrained roles are marked as not trained, as the learner drops them", () => {
  const minmax = extractEpisodes(header({ design: "minmax" }), synthetic());
  const good = minmax.episodes.find((e) => e.id === "s0/p0/g0")!;
  expect(good.predictor!.zeroVariance).toBe(true);
  expect(good.predictor!.trained).toBe(false);
  expect(good.predictions.map((p) => p.advantage)).toEqual([0, 0]);
  const keep = extractEpisodes(header({ design: "minmax", grpo: { dropZeroVariance: false } }), synthetic());
  expect(keep.episodes.find((e) => e.id === "s0/p0/g0")!.predictor!.trained).toBe(true);
  // Random masking: only the predictor learns, so the generator group is never trained.
  const random = extractEpisodes(header({ design: "random", grpo: { dropZeroVariance: false } }), synthetic());
  expect(random.episodes[0]!.generator!.trained).toBe(false);
});

test("messages that are not PretrainZero's land in the Absolute Zero slot with program, input, output and verdict", () => {
  const az = rec(7, "az.verdict", { step: 0, program: "def f(x):\n  return x + 1", input: 2, output: 3, verdict: "pass", extra: new Int32Array([1, 2]) }, "reward", "learner");
  const x = extractEpisodes(header({}), [...synthetic(), az]);
  expect(x.generic).toHaveLength(1);
  expect(x.generic[0]).toMatchObject({ type: "az.verdict", program: "def f(x):\n  return x + 1", input: 2, output: 3, verdict: "pass" });
  expect(x.generic[0]!.fields).toEqual({ step: 0, extra: [1, 2] });
  expect(x.episodes).toHaveLength(2);
});

test("filters select by step, by role and reward range, and invalid masks", () => {
  const x = extractEpisodes(header({}), synthetic());
  const [good, bad] = [x.episodes[0]!, x.episodes[1]!];
  expect(matchesFilter(good, { role: "predictor" })).toBe(true);
  expect(matchesFilter(bad, { role: "predictor" })).toBe(false);
  expect(matchesFilter(good, { role: "generator", minReward: 0.5 })).toBe(false);
  expect(matchesFilter(good, { role: "predictor", minReward: 0.5 })).toBe(true);
  expect(matchesFilter(good, { role: "any", minReward: 0.5, maxReward: 1 })).toBe(true);
  expect(matchesFilter(bad, { invalidOnly: true })).toBe(true);
  expect(matchesFilter(good, { invalidOnly: true })).toBe(false);
  expect(matchesFilter(good, { step: 1 })).toBe(false);
  const hits = index.episodes.filter((e) => matchesFilter(e, { step: 1, role: "generator", minReward: 0.3 }));
  expect(hits.every((e) => e.step === 1 && e.generator!.reward! >= 0.3)).toBe(true);
});

test("a torn log is refused, not half-read", () => {
  const torn = join(dir, "torn.spzlog");
  writeFileSync(torn, readFileSync(logPath));
  truncateSync(torn, statSync(torn).size - 5);
  expect(() => loadEpisodeIndex(torn)).toThrow(LogError);
  expect(() => loadEpisodeIndex(torn)).toThrow(/torn tail at byte \d+ after record \d+/);
});

test("a task without mask episodes (Absolute Zero) has its records listed as they are, with the step metrics", () => {
  const ix = loadEpisodeIndex(join(import.meta.dir, "../../fixtures/logs/x64-avx2/tiny-azr.spzlog"));
  expect(ix.episodes).toHaveLength(0);
  expect(ix.warnings).toEqual([]);
  expect(new Set(ix.generic.map((g) => g.type))).toEqual(new Set(["sample.request", "sample.response", "proposals", "tasks", "validated", "predictions", "scored"]));
  expect(ix.steps.length).toBeGreaterThan(0);
});
