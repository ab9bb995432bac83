import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { factbookPassages } from "../../../src/data/factbook.ts";
import { countOccurrences, maskPassage } from "../../../src/tasks/pretrainzero/mask.ts";
import { difficulties, generatorProbs, SKILL_CAP, solveProbability } from "../../../src/backends/sim/policy.ts";
import { FEATURE, NUM_FEATURES, spanCandidates, splitWords, wordRarity } from "../../../src/backends/sim/spans.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const passages = factbookPassages().slice(0, 40);

describe("spanCandidates", () => {
  test("every candidate is a distinct exact substring that maskPassage accepts", () => {
    for (const p of passages) {
      const c = spanCandidates(p);
      expect(c.spans.length).toBeGreaterThan(50);
      expect(new Set(c.spans).size).toBe(c.spans.length);
      for (const s of c.spans) {
        expect(p.includes(s)).toBe(true);
        expect(countOccurrences(p, s)).toBeLessThan(8);
        expect("masked" in maskPassage(p, s)).toBe(true);
        expect(s).toBe(s.trim());
      }
    }
  });

  test("spans have 1..maxWords words and never cross sentence punctuation", () => {
    const c = spanCandidates(passages[0]!, 3);
    for (let i = 0; i < c.spans.length; i++) {
      expect(c.words[i]).toBeGreaterThanOrEqual(1);
      expect(c.words[i]).toBeLessThanOrEqual(3);
      expect(c.spans[i]).not.toMatch(/[.;:!?]\s/);
    }
    expect(c.spans).toContain("Islamic Salvation Front");
    expect(c.spans).toContain("FLN");
    expect(c.spans).not.toContain("(FLN)");
  });

  test("words that occur 8+ times are filtered out", () => {
    const p = `${Array.from({ length: 8 }, (_, i) => `the port ${i} exports coal`).join(" and ")} today`;
    const c = spanCandidates(p);
    expect(c.spans).not.toContain("port");
    expect(c.spans).not.toContain("exports coal");
    expect(c.spans).toContain("today");
  });

  test("features are within [0, 1] and describe the span", () => {
    const c = spanCandidates(passages[0]!);
    for (const x of c.features) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
    const f = (span: string, k: number) => c.features[c.index.get(span)! * NUM_FEATURES + k]!;
    expect(f("1962", FEATURE.numeric)).toBe(1);
    expect(f("independence", FEATURE.numeric)).toBe(0);
    expect(f("Islamic Salvation Front", FEATURE.capitalised)).toBe(1);
    expect(f("Islamic Salvation Front", FEATURE.length)).toBeCloseTo(2 / 3, 12);
    expect(f("After", FEATURE.position)).toBe(0);
    expect(wordRarity("the")).toBeLessThan(0.1);
    expect(wordRarity("bouteflika")).toBeGreaterThan(0.7);
    expect(wordRarity("zzzunseen")).toBe(1);
  });

  test("splitWords strips surrounding punctuation only", () => {
    const p = "(FLN), Algeria's 100,000 - deaths.";
    expect(splitWords(p).map((w) => p.slice(w.start, w.end))).toEqual(["FLN", "Algeria's", "100,000", "deaths"]);
  });

  test("is cached per passage", () => {
    expect(spanCandidates(passages[1]!)).toBe(spanCandidates(passages[1]!));
  });
});

describe("sim policy", () => {
  test("difficulty grows with length, so 4-word spans stay beyond the skill cap", () => {
    const means = [0, 0, 0, 0, 0];
    const counts = [0, 0, 0, 0, 0];
    for (const p of passages) {
      const c = spanCandidates(p);
      const d = difficulties(c);
      for (let i = 0; i < d.length; i++) {
        means[c.words[i]!] += d[i]!;
        counts[c.words[i]!]++;
      }
    }
    for (let k = 1; k <= 4; k++) means[k] /= counts[k]!;
    expect(means[1]).toBeLessThan(means[2]!);
    expect(means[2]).toBeLessThan(means[3]!);
    expect(means[3]).toBeLessThan(means[4]!);
    expect(means[4]! - SKILL_CAP).toBeGreaterThan(2);
  });

  test("no skill setting makes every span solvable", () => {
    const maxSkills = new Float64Array(NUM_FEATURES + 1).fill(1e6);
    const c = spanCandidates(passages[0]!);
    let hard = 0;
    for (let i = 0; i < c.spans.length; i++) if (solveProbability(c, i, maxSkills) < 0.1) hard++;
    expect(hard).toBeGreaterThan(c.spans.length / 10);
  });

  test("theta = 0 gives the uniform distribution", () => {
    const c = spanCandidates(passages[0]!);
    const p = generatorProbs(c, new Float64Array(NUM_FEATURES));
    for (const x of p) expect(x).toBeCloseTo(1 / c.spans.length, 15);
  });
});
