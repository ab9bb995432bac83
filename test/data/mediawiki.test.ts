// MediaWiki dumps: what is kept and dropped (hand-made dump and the real enwiki sample), that
// wikitext markup never reaches a passage, and that dumps are streamed rather than loaded whole.

import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openCorpus, passagesFromDocuments, type Document, type PassageSplit } from "../../src/data/corpus.ts";
import { dumpPages, tidyProse, wikitextToParagraphs } from "../../src/data/mediawiki.ts";
import { ENWIKI_SAMPLE, sharedDataMissing } from "../helpers/shared-data.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const repo = join(import.meta.dir, "..", "..");
const FIX = join(repo, "fixtures", "corpus");
const ENWIKI = ENWIKI_SAMPLE;
const NO_SHARED = sharedDataMissing("test/data/mediawiki.test.ts: real enwiki sample");
const MARKUP = /\{\{|\}\}|\[\[|\]\]|<ref|<\/ref|\{\||\|\}|&[a-z]+;|\bthumb\||\bCategory:|\bFile:|\bImage:|^\s*[=*#]/m;

async function collect(path: string): Promise<{ docs: Document[]; corpus: ReturnType<typeof openCorpus> }> {
  const corpus = openCorpus(path);
  const docs: Document[] = [];
  for await (const d of corpus) docs.push(d);
  return { docs, corpus };
}

describe("wikitext to prose", () => {
  test("templates, infoboxes, references, files, tables, categories and lists are dropped; link labels stay", () => {
    const wiki = [
      "{{Infobox person|name=Ada|born=1815}}",
      "[[File:Ada.jpg|thumb|Portrait of Ada]]",
      "'''Ada Lovelace''' was an English [[mathematician]] and [[Writing|writer]], chiefly known for her work on the [[Analytical Engine]].<ref>{{cite web|url=x}}</ref> She was the first to recognise that the machine had applications beyond pure calculation.{{sfn|Smith|2001}}",
      "",
      '{| class="wikitable"',
      "|-",
      "| cell one || cell two",
      "|}",
      "* a list item that is not prose",
      "[[Category:Mathematicians]]",
    ].join("\n");
    const paras = wikitextToParagraphs(wiki)!;
    expect(paras).toHaveLength(1);
    expect(paras[0]).toStartWith("Ada Lovelace was an English mathematician and writer, chiefly known");
    expect(paras[0]).toContain("beyond pure calculation.");
    expect(paras.join(" ")).not.toMatch(MARKUP);
    for (const gone of ["cell one", "Portrait", "list item", "Mathematicians", "cite web", "1815"]) expect(paras.join(" ")).not.toContain(gone);
  });

  test("a #REDIRECT page is recognised from its text alone", () => {
    expect(wikitextToParagraphs("#REDIRECT [[Somewhere else]]")).toBeNull();
    expect(wikitextToParagraphs("#redirect [[Somewhere else]] {{R from move}}")).toBeNull();
  });

  test("apparatus sections (See also, References, External links) give no paragraphs", () => {
    const wiki = "Body text of the article that is long enough to be a sentence.\n\n== See also ==\nSee-also prose that should not appear.\n\n== External links ==\nLinks prose that should not appear.";
    expect(wikitextToParagraphs(wiki)).toEqual(["Body text of the article that is long enough to be a sentence."]);
  });

  test("tidyProse decodes entities, drops stray tags and unparsed nested templates, and empty brackets", () => {
    expect(tidyProse("a force of 2 &times; 10 newtons &eta; <li>item</li> {{legend|{{color|x}}|y}} done")).toBe("a force of 2 × 10 newtons η item done");
    expect(tidyProse("Achilles (Ἀχιλλεύς, Akhilleus, ) was a hero ( ; ) of the war")).toBe("Achilles (Ἀχιλλεύς, Akhilleus) was a hero of the war");
  });
});

describe("hand-made dump", () => {
  test("keeps namespace-0 wikitext articles and skips redirects (tagged or by text) and other namespaces", async () => {
    const { docs, corpus } = await collect(join(FIX, "mini-dump.xml"));
    expect(corpus.format).toBe("mediawiki");
    expect(docs.map((d) => d.title)).toEqual(["Lighthouse", "Tide"]);
    expect(docs.map((d) => d.id)).toEqual(["1", "6"]);
    expect(corpus.stats.records).toBe(6);
    expect(corpus.stats.skipped).toEqual({ redirect: 2, namespace: 2 });
    expect(corpus.stats.namespaces).toEqual({ "1": 1, "14": 1 });
  });

  test("uses the last revision of a page and keeps paragraphs apart", async () => {
    const { docs } = await collect(join(FIX, "mini-dump.xml"));
    const tide = docs.find((d) => d.title === "Tide")!;
    expect(tide.text).not.toContain("OLDREVISION");
    expect(tide.text.split("\n\n")).toHaveLength(2);
    const lighthouse = docs.find((d) => d.title === "Lighthouse")!;
    expect(lighthouse.text).toStartWith("A lighthouse is a tower, building, or other type of physical structure");
    for (const gone of ["Pharos", "Lightvessel", "Reflist", "Lighthouses of the World", "Short description", "dusk"]) expect(lighthouse.text).not.toContain(gone);
    expect(lighthouse.text).not.toMatch(MARKUP);
  });

  test("a dump with no articles is an error that says what its pages were", async () => {
    const err = await collect(join(FIX, "no-articles.xml")).then(
      () => null,
      (e: Error & { exitCode?: number }) => e,
    );
    expect(err?.exitCode).toBe(2);
    expect(err?.message).toMatch(/^no articles in .*no-articles\.xml: 2 pages, all skipped \(1 redirect, 1 page outside the article namespace \(ns 4: 1\)\)/);
  });
});

describe("streaming", () => {
  test("pages come out as their chunks arrive: the first page is out long before the input ends", async () => {
    let pulled = 0;
    const total = 5000;
    async function* chunks(): AsyncGenerator<string> {
      yield '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/">';
      for (let i = 1; i <= total; i++) {
        pulled++;
        yield `<page><title>P${i}</title><ns>0</ns><id>${i}</id><revision><text>Page ${i} body.</text></revision></page>`;
      }
      yield "</mediawiki>";
    }
    const it = dumpPages(chunks(), "synthetic")[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.title).toBe("P1");
    expect(pulled).toBeLessThanOrEqual(2);
    // Stopping early stops the reading.
    await it.return?.(undefined);
    expect(pulled).toBeLessThan(total);
  });

  test.skipIf(NO_SHARED)("the real bz2 dump yields its first article before the file is read to the end", async () => {
    // The built-in decoder's lookahead; the external ones' is in test/data/bzip2.test.ts.
    const corpus = openCorpus(ENWIKI, { bz2: "library" });
    for await (const _ of corpus) break;
    expect(corpus.stats.totalBytes).toBeGreaterThan(1_600_000);
    // The decoder buffers one worst-case bzip2 block (~900 kB compressed) before it decodes, so
    // the lookahead is bounded by the block size, not the file size.
    expect(corpus.stats.bytesRead).toBeLessThanOrEqual(1_200_000);
    expect(corpus.stats.done).toBe(false);
  }, 30_000);
});

describe.skipIf(NO_SHARED)("real enwiki sample (206 pages)", () => {
  let docs: Document[] = [];
  let corpus: ReturnType<typeof openCorpus>;
  let split: PassageSplit;
  beforeAll(async () => {
    expect(existsSync(ENWIKI)).toBe(true);
    ({ docs, corpus } = await collect(ENWIKI));
    split = await passagesFromDocuments(docs, { heldOutFraction: 0.1, seed: 1 });
  }, 60_000);

  test("reads every page: 105 articles; 99 redirects, 1 page in namespace 4 and 1 list-only article skipped", () => {
    expect(corpus.stats.compression).toBe("bzip2");
    expect(corpus.stats.records).toBe(206);
    expect(docs).toHaveLength(105);
    expect(corpus.stats.skipped).toEqual({ redirect: 99, namespace: 1, "no-prose": 1 });
    expect(corpus.stats.namespaces).toEqual({ "4": 1 });
    expect(docs[0]!.title).toBe("Anarchism");
    expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length);
  });

  test("no wikitext markup is left in any passage", () => {
    const all = [...split.train, ...split.heldOut];
    expect(all.length).toBeGreaterThan(3000);
    const dirty = all.filter((p) => MARKUP.test(p.text));
    expect(dirty.map((p) => p.text.slice(0, 120))).toEqual([]);
    expect(split.stats.skipped.markup).toBe(0);
  });

  test("passages respect the length bounds and long paragraphs are split", () => {
    const all = [...split.train, ...split.heldOut];
    const lengths = all.map((p) => p.text.split(" ").length);
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(160);
    expect(split.stats.paragraphsSplit).toBeGreaterThan(0);
  });

  test("the held-out split is by article", () => {
    const trainDocs = new Set(split.train.map((p) => p.docId));
    const heldDocs = new Set(split.heldOut.map((p) => p.docId));
    expect(heldDocs.size).toBeGreaterThan(0);
    for (const d of heldDocs) expect(trainDocs.has(d)).toBe(false);
  });
});
