import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { factbookPassages } from "../../../src/data/factbook.ts";
import { rng } from "../../../src/runtime/rng.ts";
import { countOccurrences, MASK_TOKEN, maskPassage, parseMask, spanWordCount } from "../../../src/tasks/pretrainzero/mask.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

describe("parseMask", () => {
  test("takes the last \\mask{} and trims it", () => {
    expect(parseMask("maybe \\mask{France} no, \\mask{  the euro  }")).toEqual({ span: "the euro" });
  });
  test("keeps nested braces as text", () => {
    expect(parseMask("\\mask{a {b} c}")).toEqual({ span: "a {b} c" });
  });
  test("escaped braces do not close the group", () => {
    expect(parseMask("\\mask{a \\} b}")).toEqual({ span: "a \\} b" });
  });
  test("an unclosed last mask falls back to the previous closed one", () => {
    expect(parseMask("\\mask{NATO} then \\mask{G-2")).toEqual({ span: "NATO" });
  });
  test("no mask at all is no-mask", () => {
    expect(parseMask("I think the answer is France.")).toEqual({ invalid: "no-mask" });
    expect(parseMask("\\mask{unclosed")).toEqual({ invalid: "no-mask" });
  });
  test("whitespace-only mask is empty", () => {
    expect(parseMask("\\mask{   }")).toEqual({ invalid: "empty" });
    expect(parseMask("\\mask{}")).toEqual({ invalid: "empty" });
  });
});

describe("maskPassage", () => {
  const passage = "France rejoined NATO in 2009. NATO command structure; France and NATO.";

  test("mode all replaces every occurrence with [mask]", () => {
    const r = maskPassage(passage, "NATO");
    expect(r).toEqual({ masked: `France rejoined ${MASK_TOKEN} in 2009. ${MASK_TOKEN} command structure; France and ${MASK_TOKEN}.`, occurrences: 3 });
  });

  test("replacement text is literal even with $ patterns in the span", () => {
    const p = "costs $& 5 and $& 5 again";
    expect(maskPassage(p, "$& 5")).toEqual({ masked: "costs [mask] and [mask] again", occurrences: 2 });
  });

  test("span not in passage is rejected, including empty spans and case mismatches", () => {
    expect(maskPassage(passage, "Germany")).toEqual({ invalid: "not-in-passage" });
    expect(maskPassage(passage, "")).toEqual({ invalid: "not-in-passage" });
    expect(maskPassage(passage, "france")).toEqual({ invalid: "not-in-passage" });
  });

  test("spans occurring 8 or more times are too frequent; 7 is fine", () => {
    const seven = Array.from({ length: 7 }, (_, i) => `item ${i} is red.`).join(" ");
    const eight = `${seven} item 7 is red.`;
    expect(maskPassage(seven, "red")).toMatchObject({ occurrences: 7 });
    expect(maskPassage(eight, "red")).toEqual({ invalid: "too-frequent" });
    expect(maskPassage(eight, "red", { maxOccurrences: 9 })).toMatchObject({ occurrences: 8 });
  });

  test("occurrences inside other words count (substring match)", () => {
    expect(countOccurrences("the other theme", "the")).toBe(3);
    expect(maskPassage("the other theme", "the")).toEqual({ masked: "[mask] o[mask]r [mask]me", occurrences: 3 });
  });

  test("mode one masks exactly one occurrence chosen by the rng, deterministically", () => {
    const picks = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = maskPassage(passage, "NATO", { mode: "one" }, rng({ seed: 3, step: 0, role: "mask", item: i }));
      if (!("masked" in r)) throw new Error("expected a mask");
      expect(r.occurrences).toBe(3);
      expect(r.masked.split(MASK_TOKEN).length - 1).toBe(1);
      expect(r.masked.split("NATO").length - 1).toBe(2);
      picks.add(r.masked);
      const again = maskPassage(passage, "NATO", { mode: "one" }, rng({ seed: 3, step: 0, role: "mask", item: i }));
      expect(again).toEqual(r);
    }
    expect(picks.size).toBe(3);
  });

  test("mode one without an rng throws", () => {
    expect(() => maskPassage(passage, "NATO", { mode: "one" })).toThrow(/pickRng/);
  });

  test("mode words rejects spans that cut a word anywhere in the passage", () => {
    expect(maskPassage(passage, "ATO", { mode: "words" })).toEqual({ invalid: "not-whole-words" });
    expect(maskPassage("the other day", "the", { mode: "words" })).toEqual({ invalid: "not-whole-words" });
    expect(maskPassage(passage, "rejoined NATO", { mode: "words" })).toMatchObject({ occurrences: 1 });
    expect(maskPassage("France's NATO role", "France", { mode: "words" })).toEqual({ masked: "[mask]'s NATO role", occurrences: 1 });
  });

  test("masks real Factbook passages and hides every copy of the span", () => {
    const p = factbookPassages()[0]!;
    const span = "Islamic Salvation Front";
    const r = maskPassage(p, span);
    if (!("masked" in r)) throw new Error(`expected "${span}" in the first passage`);
    expect(r.masked.includes(span)).toBe(false);
    expect(r.masked.split(MASK_TOKEN).length - 1).toBe(r.occurrences);
  });

  test("spanWordCount counts whitespace tokens", () => {
    expect(spanWordCount(" Islamic  Salvation Front ")).toBe(3);
    expect(spanWordCount("")).toBe(0);
  });
});
