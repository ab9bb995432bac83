import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chunkParagraph, cleanText, factbookPassages, isProse, splitSentences } from "../../src/data/factbook.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const words = (s: string) => s.split(" ").length;

describe("factbookPassages", () => {
  test("yields thousands of prose passages within the word bounds", () => {
    const ps = factbookPassages();
    expect(ps.length).toBeGreaterThan(2000);
    for (const p of ps) {
      expect(words(p)).toBeGreaterThanOrEqual(40);
      expect(words(p)).toBeLessThanOrEqual(160);
      expect(p).not.toMatch(/<[a-z/][^>]*>/i);
      expect(p).not.toMatch(/\s{2}|\+\+/);
    }
  });

  test("starts with Algeria's background (sorted file paths: africa/ag.json first)", () => {
    expect(factbookPassages()[0]!.startsWith("After more than a century of rule by France, Algerians fought")).toBe(true);
  });

  test("is cached and deterministic", () => {
    expect(factbookPassages()).toBe(factbookPassages());
    expect(factbookPassages({ minWords: 40, maxWords: 160 })).toBe(factbookPassages());
  });

  test("options change the passage sizes", () => {
    const short = factbookPassages({ minWords: 20, maxWords: 60 });
    expect(short.length).toBeGreaterThan(factbookPassages().length);
    for (const p of short) expect(words(p)).toBeLessThanOrEqual(60);
  });

  test("leaves out lists of names and figures", () => {
    expect(factbookPassages().some((p) => p.startsWith("ADB, AfDB (nonregional member), APEC"))).toBe(false);
  });

  test("rejects impossible options", () => {
    expect(() => factbookPassages({ minWords: 100, maxWords: 50 })).toThrow(RangeError);
  });
});

describe("passage helpers", () => {
  test("cleanText strips tags and decodes entities", () => {
    expect(cleanText("<p>Trade &amp; <b>aid</b></p>\n  grew")).toBe("Trade & aid grew");
  });
  test("splitSentences keeps initials and abbreviations inside sentences", () => {
    expect(splitSentences("The U.S. Navy left in 1992. Mr. Smith stayed. It rained!")).toEqual([
      "The U.S. Navy left in 1992.",
      "Mr. Smith stayed.",
      "It rained!",
    ]);
  });
  test("chunkParagraph cuts at sentence boundaries into balanced pieces", () => {
    const sentence = (i: number) => `Sentence number ${i} has exactly seven words.`;
    const para = Array.from({ length: 10 }, (_, i) => sentence(i)).join(" ");
    const chunks = chunkParagraph(para, 30);
    expect(chunks.join(" ")).toBe(para);
    for (const c of chunks) {
      expect(words(c)).toBeLessThanOrEqual(30);
      expect(c.endsWith(".")).toBe(true);
    }
    expect(chunks.length).toBe(3);
  });
  test("isProse tells sentences from lists", () => {
    expect(isProse("the country has been a member of the union since it was founded in the last century")).toBe(true);
    expect(isProse("ADB, AfDB, APEC, ARF, ASEAN, BIS, CD, CICA, CP, EAS, EBRD, FAO, FATF")).toBe(false);
  });
});
