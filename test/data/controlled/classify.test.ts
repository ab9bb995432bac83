// classifySpan on hand-picked spans of a hand-annotated passage, on every annotated span of a
// generated corpus, and the sidecar's load errors.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorpusError } from "../../../src/data/corpus.ts";
import { classifySpan, classShares, loadSpanClasses, type SpanClasses, type SpanLabel } from "../../../src/data/controlled/classify.ts";
import { controlledCorpus } from "../../../src/data/controlled/generate.ts";
import { classesFile, classesPathFor, writeControlledCorpus } from "../../../src/data/controlled/sidecar.ts";
import { passageKey, type AnnotatedClass, type AnnotatedSpan } from "../../../src/data/controlled/spans.ts";

const dir = mkdtempSync(join(tmpdir(), "spz-controlled-classify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PASSAGE =
  "The Vatre Canning Company (VCC) is based in Begrak. Its founder was Zesven Brasho. Its registry number is LYK-636-B. " +
  "Its shops open on Monday, Tuesday and Wednesday. Every two years it holds a biennial staff feast.";
const ANNOTATED: [string, AnnotatedClass][] = [
  ["Vatre Canning Company", "learnable"],
  ["VCC", "trivial"],
  ["Begrak", "learnable"],
  ["Zesven Brasho", "learnable"],
  ["LYK-636-B", "noise"],
  ["Monday", "trivial"],
  ["Tuesday", "trivial"],
  ["Wednesday", "trivial"],
  ["two", "trivial"],
  ["biennial", "trivial"],
];
function handAnnotated(): SpanClasses {
  const spans: AnnotatedSpan[] = ANNOTATED.map(([text, cls]) => {
    const start = PASSAGE.indexOf(text);
    if (start < 0) throw new Error(`fixture: ${text} not in the passage`);
    return { start, end: start + text.length, cls };
  });
  return { path: "(hand)", generator: { version: 1, seed: 0, docs: 1, docsPerSubject: 1, factsPerDoc: 1 }, byKey: new Map([[passageKey(PASSAGE), spans]]) };
}

describe("classifySpan on hand-picked spans", () => {
  const classes = handAnnotated();
  test.each<[string, SpanLabel]>([
    ["Begrak", "learnable"],
    ["Zesven Brasho", "learnable"],
    ["Zesven", "learnable"], // one word of a two-word name
    ["Brasho.", "learnable"], // with the sentence's full stop
    ["Begr", "learnable"], // part of a word counts as the word
    ["Canning", "learnable"],
    ["VCC", "trivial"],
    ["(VCC)", "trivial"],
    ["Tuesday", "trivial"],
    ["Monday, Tuesday", "trivial"],
    ["biennial", "trivial"],
    ["two", "trivial"],
    ["LYK-636-B", "noise"],
    ["636", "noise"], // a piece of the code
    ["LYK", "noise"],
    ["number is LYK-636-B", "noise"], // filler plus noise: the hardest class wins
    ["is based in Begrak", "learnable"],
    ["Company (VCC)", "learnable"], // learnable beats trivial
    ["registry", "other"],
    ["open on", "other"],
    ["The", "other"], // the first word; "the" (lowercase) does not occur
    ["Its", "other"], // five occurrences, all filler
    ["founder was", "other"],
    [".", "other"], // only punctuation: no word is chosen
    ["Tuesdays", "unknown"], // not in the passage: no mask would be made
  ])("%j is %s", (span, label) => {
    expect(classifySpan(classes, PASSAGE, span)).toBe(label);
  });

  test("a passage the sidecar does not know is unknown, whatever the span", () => {
    expect(classifySpan(classes, `${PASSAGE} `, "Begrak")).toBe("unknown");
    expect(classifySpan(classes, "Some other passage about Begrak.", "Begrak")).toBe("unknown");
  });

  test("every occurrence counts, as masking hides them all: a digit inside the noise code is noise", () => {
    expect(classifySpan(classes, PASSAGE, "6")).toBe("noise");
    expect(classifySpan(classes, PASSAGE, "a")).toBe("learnable"); // "a" occurs first inside "Vatre"
  });
});

describe("classifySpan on a generated corpus, through the sidecar on disk", () => {
  const c = controlledCorpus({ seed: 3, docs: 200 });
  const path = join(dir, "gen.jsonl");
  writeControlledCorpus(path, c);
  const classes = loadSpanClasses(path)!;

  test("each annotated span, whole or as its first word, is classified as its class", () => {
    expect(classes).not.toBeNull();
    let checked = 0;
    for (const d of c.documents) {
      for (const s of d.spans) {
        const text = d.text.slice(s.start, s.end);
        expect(classifySpan(classes, d.text, text)).toBe(s.cls);
        const first = text.split(" ")[0]!;
        if (d.text.indexOf(first) === s.start && d.text.indexOf(first, s.start + 1) < 0) expect(classifySpan(classes, d.text, first)).toBe(s.cls);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  test("filler words no annotation touches are other", () => {
    let others = 0;
    for (const d of c.documents) {
      for (const w of d.text.split(" ")) {
        const core = w.replace(/[^\p{L}\p{N}]+$/u, "");
        if (!/^(the|is|its|it|of|and|in)$/i.test(core)) continue;
        const hits = [...d.text.matchAll(new RegExp(core, "g"))].map((m) => m.index);
        if (hits.some((at) => d.spans.some((s) => at! < s.end && s.start < at! + core.length))) continue;
        expect(classifySpan(classes, d.text, core)).toBe("other");
        others++;
      }
    }
    expect(others).toBeGreaterThan(500);
  });

  test("the sidecar's generator block and counts describe the corpus", () => {
    expect(classes.generator).toMatchObject({ version: c.version, seed: 3, docs: 200 });
    expect(classes.byKey.size).toBe(200);
    const counts = classesFile(c).counts;
    expect(counts.noise).toBe(200);
    expect(counts.learnable).toBeGreaterThan(counts.noise);
  });
});

describe("loadSpanClasses", () => {
  const write = (name: string, body: string): string => {
    const corpus = join(dir, `${name}.jsonl`);
    writeFileSync(classesPathFor(corpus), body);
    return corpus;
  };

  test("a corpus without a sidecar has no classes (null)", () => {
    expect(loadSpanClasses(join(dir, "plain.jsonl"))).toBeNull();
    expect(loadSpanClasses("factbook")).toBeNull();
  });

  test.each([
    ["cc.jsonl", "cc.classes.json"],
    ["/a/b/run.jsonl", "/a/b/run.classes.json"],
    ["corpus.txt", "corpus.txt.classes.json"],
  ])("classesPathFor(%j) is %j", (corpus, sidecar) => {
    expect(classesPathFor(corpus)).toBe(sidecar);
  });

  const good = { format: "controlled-corpus-classes", version: 1, generator: { version: 1, seed: 0, docs: 1, docsPerSubject: 1, factsPerDoc: 1 }, counts: {} };
  test.each([
    ["not JSON", "{oops", /invalid JSON/],
    ["an array", "[]", /not a JSON object/],
    ["another format", JSON.stringify({ ...good, format: "x", documents: [] }), /format is "x"/],
    ["another version", JSON.stringify({ ...good, version: 9, documents: [] }), /version is 9/],
    ["no documents", JSON.stringify(good), /no documents array/],
    ["a document without key", JSON.stringify({ ...good, documents: [{ spans: [] }] }), /documents\[0\] lacks a string key/],
    ["an unknown class", JSON.stringify({ ...good, documents: [{ key: "k", spans: [[0, 3, "other"]] }] }), /documents\[0\]\.spans\[0\] is not/],
    ["an empty span", JSON.stringify({ ...good, documents: [{ key: "k", spans: [[3, 3, "noise"]] }] }), /documents\[0\]\.spans\[0\] is not/],
  ])("a sidecar that is %s is a one-line CorpusError naming the file", (name, body, msg) => {
    const corpus = write(name.replace(/\W+/g, "-"), body);
    let err: unknown;
    try {
      loadSpanClasses(corpus);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CorpusError);
    const m = (err as Error).message;
    expect(m).toMatch(msg);
    expect(m).toContain(classesPathFor(corpus));
    expect(m).toMatch(/; accepted: /);
    expect(m).not.toContain("\n");
  });
});

describe("classShares", () => {
  test.each<[SpanLabel[], Partial<Record<SpanLabel, number>>]>([
    [[], { trivial: 0, learnable: 0, noise: 0, other: 0, unknown: 0 }],
    [["noise", "noise", "learnable", "other"], { noise: 0.5, learnable: 0.25, other: 0.25, trivial: 0, unknown: 0 }],
    [["trivial"], { trivial: 1, learnable: 0 }],
  ])("%j -> %j", (labels, want) => {
    const got = classShares(labels);
    expect(got).toMatchObject(want);
    expect(Object.keys(got).sort()).toEqual(["learnable", "noise", "other", "trivial", "unknown"]);
    if (labels.length > 0) expect(Object.values(got).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
