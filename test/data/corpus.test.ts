// Corpus reading (plain text, directories, gzip, the embedded Factbook, format detection),
// passages (lengths, splitting, dedupe, the held-out split) and every kind of bad input.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { factbookPassages } from "../../src/data/factbook.ts";
import {
  formatFromName,
  heldOutScore,
  loadPassages,
  openCorpus,
  paragraphsOf,
  passagesFromDocuments,
  type CorpusOptions,
  type Document,
} from "../../src/data/corpus.ts";
import { ENWIKI_SAMPLE, sharedDataMissing } from "../helpers/shared-data.ts";

const NO_SHARED = sharedDataMissing("test/data/corpus.test.ts: truncated bzip2");

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const FIX = join(import.meta.dir, "..", "..", "fixtures", "corpus");
const dir = mkdtempSync(join(tmpdir(), "spz-corpus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function read(path: string, opts: CorpusOptions = {}): Promise<Document[]> {
  const docs: Document[] = [];
  for await (const d of openCorpus(path, opts)) docs.push(d);
  return docs;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<Error & { exitCode?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { exitCode?: number };
  }
  throw new Error("expected an error");
}

const sentence = (i: number): string => `Sentence number ${i} tells a short story about a village by the sea where people fish.`;
const paragraph = (from: number, n: number): string => Array.from({ length: n }, (_, k) => sentence(from + k)).join(" ");

describe("formats", () => {
  test("the format comes from the extension, compression suffixes aside", () => {
    expect(formatFromName("a/b.txt")).toBe("txt");
    expect(formatFromName("x.jsonl.gz")).toBe("jsonl");
    expect(formatFromName("enwiki-pages-articles.xml.bz2")).toBe("mediawiki");
    expect(formatFromName("train-00000-of-00041.parquet")).toBe("parquet");
    expect(formatFromName("dump.bin")).toBeNull();
  });

  test("a text file is one document whose paragraphs are separated by blank lines", async () => {
    const docs = await read(join(FIX, "essay.txt"));
    expect(docs).toHaveLength(1);
    expect(docs[0]!.id).toBe("essay.txt");
    expect(paragraphsOf(docs[0]!.text)).toHaveLength(3);
  });

  test("form feeds split a text file into documents", async () => {
    const docs = await read(join(FIX, "two-docs.txt"));
    expect(docs.map((d) => d.id)).toEqual(["two-docs.txt#1", "two-docs.txt#2"]);
    expect(docs[1]!.text.trim()).toStartWith("The second document");
  });

  test("a directory is one document per text file, in sorted order", async () => {
    const d = join(dir, "texts");
    mkdirSync(join(d, "sub"), { recursive: true });
    writeFileSync(join(d, "b.txt"), paragraph(0, 4));
    writeFileSync(join(d, "sub", "a.md"), paragraph(10, 4));
    writeFileSync(join(d, "ignored.json"), "{}");
    const docs = await read(d);
    expect(docs.map((x) => x.id)).toEqual(["b.txt", "sub/a.md"]);
  });

  test("content decides when the name does not: JSON lines and XML are recognised", async () => {
    const j = file("noext-jsonl", `{"text": ${JSON.stringify(paragraph(0, 3))}}\n`);
    const corpus = openCorpus(j);
    for await (const _ of corpus);
    expect(corpus.format).toBe("jsonl");
    const x = file("noext-xml", '<mediawiki><page><title>T</title><ns>0</ns><id>9</id><revision><text>Some article text here.</text></revision></page></mediawiki>');
    const c2 = openCorpus(x);
    expect((await read(x)).map((d) => d.id)).toEqual(["9"]);
    for await (const _ of c2);
    expect(c2.format).toBe("mediawiki");
  });

  test("gzip-compressed JSONL is decompressed as it streams", async () => {
    const body = [1, 2, 3].map((i) => JSON.stringify({ id: `d${i}`, text: paragraph(i * 10, 3) })).join("\n");
    const gz = file("docs.jsonl.gz", Bun.gzipSync(new TextEncoder().encode(body)));
    const corpus = openCorpus(gz);
    const docs: Document[] = [];
    for await (const d of corpus) docs.push(d);
    expect(corpus.stats.compression).toBe("gzip");
    expect(docs.map((d) => d.id)).toEqual(["d1", "d2", "d3"]);
  });

  test("'factbook' is the embedded default: one document per country, same passages as factbookPassages", async () => {
    const corpus = openCorpus("factbook");
    const split = await passagesFromDocuments(corpus, { dedupe: false, heldOutFraction: 0 });
    expect(corpus.format).toBe("factbook");
    expect(split.stats.documents).toBeGreaterThan(250);
    expect(split.train.map((p) => p.text)).toEqual(factbookPassages());
    expect(split.train.find((p) => p.docId === "europe/fr")?.title).toBe("France");
  }, 20_000);
});

describe("passages", () => {
  const doc = (id: string, text: string): Document => ({ id, text });

  test("paragraphs under minWords are dropped and counted", async () => {
    const { train, stats } = await passagesFromDocuments([doc("a", `Too short to keep.\n\n${paragraph(0, 4)}`)], { minWords: 20, heldOutFraction: 0 });
    expect(train).toHaveLength(1);
    expect(stats.paragraphs).toBe(2);
    expect(stats.skipped.tooShort).toBe(1);
  });

  test("a paragraph longer than maxWords is split at sentence boundaries into pieces within the bounds", async () => {
    const long = paragraph(0, 12); // 12 sentences of 17 words
    const { train, stats } = await passagesFromDocuments([doc("a", long)], { minWords: 20, maxWords: 60, heldOutFraction: 0 });
    expect(stats.paragraphsSplit).toBe(1);
    expect(train.length).toBeGreaterThanOrEqual(4);
    for (const p of train) {
      expect(p.text.split(" ").length).toBeLessThanOrEqual(60);
      expect(p.text.split(" ").length).toBeGreaterThanOrEqual(20);
      expect(p.text).toMatch(/^Sentence number \d+ .*fish\.$/);
    }
    expect(train.map((p) => p.text).join(" ")).toBe(long);
    expect(train.map((p) => p.index)).toEqual(train.map((_, i) => i));
  });

  test("a text with no blank line is split into paragraphs at line breaks", () => {
    expect(paragraphsOf("one\ntwo\nthree")).toEqual(["one", "two", "three"]);
    expect(paragraphsOf("one\nstill one\n\ntwo")).toEqual(["one\nstill one", "two"]);
  });

  test("exact duplicates are removed after normalising case and whitespace, across documents", async () => {
    const p = paragraph(0, 3);
    const docs = [doc("a", p), doc("b", `${p.replace(/village/g, "VILLAGE").replace(/ /g, "  ")}\n\n${paragraph(5, 3)}`), doc("c", p)];
    const kept = await passagesFromDocuments(docs, { minWords: 20, heldOutFraction: 0 });
    expect(kept.train.map((x) => x.docId)).toEqual(["a", "b"]);
    expect(kept.stats.skipped.duplicate).toBe(2);
    const all = await passagesFromDocuments(docs, { minWords: 20, heldOutFraction: 0, dedupe: false });
    expect(all.train).toHaveLength(4);
  });

  test("JSONL duplicates (the copied Honey bee paragraph) are removed", async () => {
    const { train, stats } = await passagesFromDocuments(openCorpus(join(FIX, "wiki.jsonl")), { minWords: 30, heldOutFraction: 0 });
    expect(stats.skipped.duplicate).toBe(1);
    expect(train.map((p) => p.docId)).toEqual(["a1", "a1", "a2", "6"]);
  });

  test("lists and tables of figures are not prose and are dropped unless proseOnly is off", async () => {
    const table = Array.from({ length: 30 }, (_, i) => `Item${i} ${i * 7}`).join(", ");
    const on = await passagesFromDocuments([doc("a", table)], { minWords: 20, heldOutFraction: 0 });
    expect(on.stats.skipped.notProse).toBe(1);
    const off = await passagesFromDocuments([doc("a", table)], { minWords: 20, heldOutFraction: 0, proseOnly: false });
    expect(off.train).toHaveLength(1);
  });

  test("the held-out split is by document, disjoint, near the requested fraction, and stable across runs", async () => {
    const docs = Array.from({ length: 400 }, (_, i) => doc(`doc-${i}`, `${paragraph(i * 100, 3)}\n\n${paragraph(i * 100 + 50, 3)}`));
    const a = await passagesFromDocuments(docs, { minWords: 20, heldOutFraction: 0.2, seed: 7 });
    const b = await passagesFromDocuments(docs, { minWords: 20, heldOutFraction: 0.2, seed: 7 });
    const trainDocs = new Set(a.train.map((p) => p.docId));
    const heldDocs = new Set(a.heldOut.map((p) => p.docId));
    for (const d of heldDocs) expect(trainDocs.has(d)).toBe(false);
    expect(heldDocs.size).toBe(a.stats.documentsHeldOut);
    expect(heldDocs.size).toBeGreaterThan(50);
    expect(heldDocs.size).toBeLessThan(110);
    expect(b.heldOut).toEqual(a.heldOut);
    expect(b.train).toEqual(a.train);
    // Membership depends on the id, not the order documents arrive in.
    const reversed = await passagesFromDocuments([...docs].reverse(), { minWords: 20, heldOutFraction: 0.2, seed: 7 });
    expect(new Set(reversed.heldOut.map((p) => p.docId))).toEqual(heldDocs);
    // Another seed, another split.
    const c = await passagesFromDocuments(docs, { minWords: 20, heldOutFraction: 0.2, seed: 8 });
    expect(new Set(c.heldOut.map((p) => p.docId))).not.toEqual(heldDocs);
  });

  test("held-out scores are fixed numbers of (seed, id), not of the process", () => {
    expect(heldOutScore(0, "12")).toBeCloseTo(heldOutScore(0, "12"), 15);
    const s = heldOutScore(0, "Anarchism");
    expect(s).toBeGreaterThanOrEqual(0);
    expect(s).toBeLessThan(1);
    // Pinned: sha256("42\0doc-1"), first 48 bits. Changing the hash would silently move documents between the splits.
    expect(heldOutScore(42, "doc-1").toFixed(6)).toBe("0.895415");
  });

  test("maxDocuments stops reading early and says so", async () => {
    const split = await passagesFromDocuments(openCorpus("factbook"), { maxDocuments: 5 });
    expect(split.stats.documents).toBe(5);
    expect(split.stats.truncated).toBe(true);
  });

  test("bad lengths and fractions are errors with exit code 2", async () => {
    expect((await failure(passagesFromDocuments([], { minWords: 50, maxWords: 10 }))).exitCode).toBe(2);
    expect((await failure(passagesFromDocuments([], { heldOutFraction: 1.5 }))).exitCode).toBe(2);
  });
});

describe("bad input", () => {
  const expectError = async (path: string, pattern: RegExp, opts: CorpusOptions = {}): Promise<void> => {
    const e = await failure(read(path, opts));
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toContain("\n");
    expect(e.message).toMatch(pattern);
  };

  test("a missing file", async () => {
    await expectError(join(dir, "nope.txt"), /^no such file or directory: .*nope\.txt; accepted: /);
  });

  test("an empty file", async () => {
    await expectError(file("empty.txt", ""), /empty\.txt is empty \(0 bytes\)/);
  });

  test("a file of whitespace only", async () => {
    await expectError(file("blank.jsonl", "\n  \n\n"), /blank\.jsonl holds no text \(only whitespace\)/);
  });

  test("a binary file", async () => {
    const bytes = new Uint8Array(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    await expectError(file("model.bin", bytes), /model\.bin looks binary \(NUL byte at offset \d+\)/);
  });

  test("UTF-16 with a byte order mark", async () => {
    const le = new Uint8Array([0xff, 0xfe, ...Array.from("Hello world", (c) => [c.charCodeAt(0), 0]).flat()]);
    await expectError(file("utf16.txt", le), /unsupported encoding UTF-16LE \(byte order mark\) in .*utf16\.txt; accepted: UTF-8/);
  });

  test("UTF-16 without a byte order mark", async () => {
    const le = new Uint8Array(Array.from("Hello world, this is text.", (c) => [c.charCodeAt(0), 0]).flat());
    await expectError(file("utf16-nobom.txt", le), /looks like UTF-16 text without a byte order mark/);
  });

  test("invalid UTF-8 (Latin-1 bytes) names the byte offset", async () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode("caf"), 0xe9, 0x20, 0x61, 0x62]);
    await expectError(file("latin1.txt", latin1), /invalid UTF-8 in .*latin1\.txt near byte 3; accepted: UTF-8/);
  });

  test("a JSONL file whose lines are all malformed", async () => {
    await expectError(file("garbage.jsonl", "not json\n{broken\n"), /no documents in .*garbage\.jsonl: 2 lines, all skipped \(2 malformed JSON lines\)/);
  });

  test("a JSONL file without the text field names the keys it has", async () => {
    await expectError(file("keys.jsonl", '{"id": 1, "content": "x"}\n'), /no line of .*keys\.jsonl has a string field "text" \(the first object has keys: id, content\); pass --text-field/);
  });

  test("XML that is not a MediaWiki export", async () => {
    await expectError(file("rss.xml", "<rss><channel></channel></rss>"), /rss\.xml is XML but not a MediaWiki export \(root element <rss>\)/);
  });

  test("malformed and truncated XML", async () => {
    await expectError(file("bad.xml", "<mediawiki><page><title>x</titel></page></mediawiki>"), /malformed XML in .*bad\.xml/);
    await expectError(file("cut.xml", "<mediawiki><page><title>x</title>"), /truncated or malformed XML in .*cut\.xml/);
  });

  test.skipIf(NO_SHARED)("a truncated bzip2 file", async () => {
    const full = await Bun.file(ENWIKI_SAMPLE).bytes();
    await expectError(file("cut.xml.bz2", full.slice(0, 50_000)), /corrupt or truncated bzip2 data in .*cut\.xml\.bz2/);
  }, 20_000);

  test("a directory without text files, and a directory with another format", async () => {
    const d = join(dir, "nothing-here");
    mkdirSync(d);
    await expectError(d, /holds no \.txt, \.text or \.md files/);
    await expectError(d, /is a directory; only --format txt/, { format: "jsonl" });
  });

  test("a parquet file forced to be read as JSONL", async () => {
    await expectError(file("x.parquet", new Uint8Array([0x50, 0x41, 0x52, 0x31, 1, 2, 3, 0x50, 0x41, 0x52, 0x31])), /is a Parquet file, not jsonl/, { format: "jsonl" });
  });

  test("a corpus with documents but no passage long enough says how to loosen the filter", async () => {
    const e = await failure(loadPassages(file("tiny.txt", "Just a few words here.\n\nAnd a few more.")));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^no passages in .*tiny\.txt: 1 documents, 2 paragraphs \(2 under 40 words.*lower --min-words/);
  });
});
