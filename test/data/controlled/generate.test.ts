// The controlled corpus: deterministic from its seed, one passage per document under the run's
// passage filters, facts that recur in training documents, and noise that never recurs.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPassages } from "../../../src/data/corpus.ts";
import { controlledCorpus, MAX_DOC_WORDS, MIN_DOC_WORDS, type ControlledCorpus } from "../../../src/data/controlled/generate.ts";
import { classesFile, corpusJsonl } from "../../../src/data/controlled/sidecar.ts";

const dir = mkdtempSync(join(tmpdir(), "spz-controlled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DOCS = 1200;
const corpus: ControlledCorpus = controlledCorpus({ seed: 0, docs: DOCS });
const path = join(dir, "cc.jsonl");
writeFileSync(path, corpusJsonl(corpus));
const wordsOf = (t: string): number => t.split(" ").length;

describe("determinism", () => {
  test.each([
    [0, 50],
    [7, 200],
  ])("seed %i, %i docs: the same options give the same bytes (corpus and sidecar)", (seed, docs) => {
    const a = controlledCorpus({ seed, docs });
    const b = controlledCorpus({ seed, docs });
    expect(corpusJsonl(b)).toBe(corpusJsonl(a));
    expect(JSON.stringify(classesFile(b))).toBe(JSON.stringify(classesFile(a)));
  });

  test.each([
    [0, 1],
    [1, 2],
    [0, 12345],
  ])("seeds %i and %i give different corpora", (s1, s2) => {
    const a = controlledCorpus({ seed: s1, docs: 50 });
    const b = controlledCorpus({ seed: s2, docs: 50 });
    expect(corpusJsonl(a)).not.toBe(corpusJsonl(b));
    expect(a.world.countries[0]!.name).not.toBe(b.world.countries[0]!.name);
  });

  test.each([
    [{ seed: -1, docs: 10 }, /seed must be an integer/],
    [{ seed: 0, docs: 0 }, /docs must be an integer in 1\.\./],
    [{ seed: 0, docs: 10_001 }, /docs must be an integer in 1\.\./],
    [{ seed: 0.5, docs: 10 }, /seed must be an integer/],
  ])("bad options %j are refused", (o, msg) => {
    expect(() => controlledCorpus(o)).toThrow(msg);
  });
});

describe("documents", () => {
  test(`every document has ${MIN_DOC_WORDS}..${MAX_DOC_WORDS} words, one line, and spans of all three classes`, () => {
    for (const d of corpus.documents) {
      const n = wordsOf(d.text);
      expect(n).toBeGreaterThanOrEqual(MIN_DOC_WORDS);
      expect(n).toBeLessThanOrEqual(MAX_DOC_WORDS);
      expect(MIN_DOC_WORDS).toBeGreaterThanOrEqual(25);
      expect(MAX_DOC_WORDS).toBeLessThanOrEqual(55);
      expect(d.text).not.toMatch(/\n|\s{2}/);
      const classes = new Set(d.spans.map((s) => s.cls));
      expect([...classes].sort()).toEqual(["learnable", "noise", "trivial"]);
    }
  });

  test("every annotated string occurs exactly once in its document and stands on word boundaries", () => {
    const wordChar = /[\p{L}\p{N}]/u;
    for (const d of corpus.documents) {
      for (const s of d.spans) {
        const piece = d.text.slice(s.start, s.end);
        expect(d.text.indexOf(piece)).toBe(s.start);
        expect(d.text.indexOf(piece, s.start + 1)).toBe(-1);
        expect(wordChar.test(d.text[s.start - 1] ?? " ") && wordChar.test(piece[0]!)).toBe(false);
        expect(wordChar.test(d.text[s.end] ?? " ") && wordChar.test(piece.at(-1)!)).toBe(false);
      }
    }
  });

  test.each([
    [20, 60],
    [40, 160],
  ])("with --min-words %i --max-words %i the loader reads each document as exactly one passage, its text unchanged", async (minWords, maxWords) => {
    const split = await loadPassages(path, { minWords, maxWords, heldOutFraction: 0.05, seed: 0 });
    expect(split.stats.documents).toBe(DOCS);
    expect(split.stats.passages).toBe(DOCS);
    expect(split.stats.skipped).toEqual({ tooShort: 0, notProse: 0, markup: 0, duplicate: 0 });
    const byId = new Map(corpus.documents.map((d) => [d.id, d.text]));
    for (const p of [...split.train, ...split.heldOut]) expect(p.text).toBe(byId.get(p.docId)!);
  });

  test("noise strings are unique: each occurs in exactly one document of the corpus", () => {
    const all = corpus.documents.map((d) => d.text).join("\n");
    const noise = corpus.documents.flatMap((d) => d.spans.filter((s) => s.cls === "noise").map((s) => d.text.slice(s.start, s.end)));
    expect(noise).toHaveLength(DOCS);
    expect(new Set(noise).size).toBe(DOCS);
    for (const n of noise) expect(all.indexOf(n, all.indexOf(n) + 1)).toBe(-1);
  });

  test("noise strings look random: many distinct characters at every position of a pattern", () => {
    const codes = corpus.documents.flatMap((d) => d.spans.filter((s) => s.cls === "noise").map((s) => d.text.slice(s.start, s.end)));
    const digitsOnly = codes.filter((c) => /^\d{4}-\d{4}$/.test(c));
    expect(digitsOnly.length).toBeGreaterThan(50);
    for (let i = 0; i < 9; i++) {
      if (i === 4) continue;
      expect(new Set(digitsOnly.map((c) => c[i])).size).toBe(10);
    }
  });
});

describe("learnable facts", () => {
  const K = 5;
  test.each([
    [0, 0.05],
    [1, 0.05],
    [3, 0.2],
  ])(`held-out seed %i, fraction %d: every fact recurs in >= ${K} training documents`, async (seed, heldOutFraction) => {
    const split = await loadPassages(path, { minWords: 20, maxWords: 60, heldOutFraction, seed });
    const train = new Set(split.train.map((p) => p.docId));
    expect(split.heldOut.length).toBeGreaterThan(0);
    const inTrain = new Map<string, number>();
    const all = new Set<string>();
    for (const d of corpus.documents) {
      for (const s of d.spans) {
        if (s.cls !== "learnable") continue;
        expect(s.fact).toBeDefined();
        all.add(s.fact!);
        if (train.has(d.id)) inTrain.set(s.fact!, (inTrain.get(s.fact!) ?? 0) + 1);
      }
    }
    for (const f of all) expect(inTrain.get(f) ?? 0).toBeGreaterThanOrEqual(K);
  });

  test("a fact's span always holds the same string, so the fact is the same wherever it is stated", () => {
    const value = new Map<string, string>();
    for (const d of corpus.documents) {
      for (const s of d.spans) {
        if (s.fact === undefined) continue;
        const v = d.text.slice(s.start, s.end);
        expect(value.get(s.fact) ?? v).toBe(v);
        value.set(s.fact, v);
      }
    }
    expect(value.size).toBeGreaterThan(100);
  });

  test("a fact is stated in several phrasings", () => {
    const contexts = new Map<string, Set<string>>();
    for (const d of corpus.documents) {
      for (const s of d.spans) {
        if (!s.fact?.includes("/")) continue;
        const before = d.text.slice(Math.max(0, s.start - 12), s.start);
        contexts.set(s.fact, (contexts.get(s.fact) ?? new Set()).add(before));
      }
    }
    const multi = [...contexts.values()].filter((c) => c.size >= 2).length;
    expect(multi / contexts.size).toBeGreaterThan(0.9);
  });
});

test("the written JSONL holds id, title and text only", () => {
  const first = JSON.parse(readFileSync(path, "utf8").split("\n")[0]!) as Record<string, unknown>;
  expect(Object.keys(first).sort()).toEqual(["id", "text", "title"]);
});
