// JSONL corpora: configurable fields, ids, and malformed lines skipped, counted and summarised.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCorpus, type Document } from "../../src/data/corpus.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const FIX = join(import.meta.dir, "..", "..", "fixtures", "corpus");
const dir = mkdtempSync(join(tmpdir(), "spz-jsonl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(corpus: ReturnType<typeof openCorpus>): Promise<Document[]> {
  const docs: Document[] = [];
  for await (const d of corpus) docs.push(d);
  return docs;
}

test("good lines become documents with their id and title; blank lines are ignored", async () => {
  const corpus = openCorpus(join(FIX, "wiki.jsonl"));
  const docs = await collect(corpus);
  expect(docs.map((d) => d.id)).toEqual(["a1", "a2", "a5", "6"]);
  expect(docs[0]!.title).toBe("Honey bee");
  expect(docs[0]!.text.split("\n\n")).toHaveLength(2);
  expect(corpus.stats.records).toBe(8);
});

test("malformed lines are skipped, counted by kind, and summarised in one warning with their line numbers", async () => {
  const corpus = openCorpus(join(FIX, "wiki.jsonl"));
  await collect(corpus);
  expect(corpus.stats.skipped).toEqual({ "malformed-json": 2, "not-an-object": 1, "missing-text-field": 1 });
  expect(corpus.stats.malformedLines).toEqual([3, 8]);
  expect(corpus.stats.warnings[0]).toMatch(/^skipped 2 malformed JSONL lines in .*wiki\.jsonl \(lines 3, 8; first error: .+\)$/);
  expect(corpus.stats.warnings[1]).toMatch(/^skipped 2 JSONL lines in .*wiki\.jsonl that are not objects with a string text field$/);
});

test("the text, id and title fields are configurable, dotted paths reach nested objects", async () => {
  const p = join(dir, "custom.jsonl");
  writeFileSync(p, [{ key: "k1", name: "One", meta: { body: "First body." } }, { key: "k2", name: "Two", meta: { body: "Second body." } }].map((o) => JSON.stringify(o)).join("\r\n"));
  const docs = await collect(openCorpus(p, { textField: "meta.body", idField: "key", titleField: "name" }));
  expect(docs).toEqual([
    { id: "k1", title: "One", text: "First body." },
    { id: "k2", title: "Two", text: "Second body." },
  ]);
});

test("lines without an id get their line number as id", async () => {
  const p = join(dir, "noid.jsonl");
  writeFileSync(p, `\n${JSON.stringify({ text: "a" })}\n${JSON.stringify({ text: "b" })}\n`);
  expect((await collect(openCorpus(p))).map((d) => d.id)).toEqual(["line2", "line3"]);
});

test("a line split across read chunks is reassembled, multi-byte characters included", async () => {
  const p = join(dir, "big.jsonl");
  const text = "Ünïcödé ✓ ".repeat(60_000); // > 256 KiB on one line
  writeFileSync(p, `${JSON.stringify({ id: "big", text })}\n${JSON.stringify({ id: "next", text: "after" })}\n`);
  const docs = await collect(openCorpus(p));
  expect(docs.map((d) => d.id)).toEqual(["big", "next"]);
  expect(docs[0]!.text).toBe(text);
});
