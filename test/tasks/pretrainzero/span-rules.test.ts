import { describe, expect, test } from "bun:test";
import { maskOptionsOf, maskPassage } from "../../../src/tasks/pretrainzero/mask.ts";
import { spanRuleViolation, type SpanFilter } from "../../../src/tasks/pretrainzero/span-rules.ts";
import { isStopWordSpan } from "../../../src/tasks/pretrainzero/stopwords.ts";

describe("span rules turn the paper's prompt instructions into checks", () => {
  const table: [string, SpanFilter, string | null][] = [
    ["the", "none", null],
    ["the", "content", "stop-words"],
    ["of the", "content", "stop-words"],
    ["The", "entity", "stop-words"],
    [", .", "content", "stop-words"],
    ["government", "content", null],
    ["government", "entity", "not-entity"],
    ["the government", "content", null],
    ["Norway", "entity", null],
    ["in 2012", "entity", null],
    ["of Norway,", "entity", null],
    ["élan", "entity", "not-entity"],
    ["Élan", "entity", null],
  ];
  for (const [span, filter, want] of table) {
    test(`${JSON.stringify(span)} under ${filter} -> ${want ?? "passes"}`, () => {
      expect(spanRuleViolation(span, filter)).toBe(want as never);
    });
  }

  test("a stop-word span is an invalid mask under the content rule, and valid under the paper's", () => {
    const passage = "The capital of Norway is Oslo, and the king lives in Oslo.";
    expect(maskPassage(passage, "the", { filter: "content" })).toEqual({ invalid: "stop-words" });
    expect(maskPassage(passage, "the", {})).toHaveProperty("masked");
    expect(maskPassage(passage, "Oslo", { filter: "entity", maxOccurrences: 2 })).toEqual({ invalid: "too-frequent" });
    expect(maskPassage(passage, "Norway", { filter: "entity", maxOccurrences: 2, mode: "words" })).toEqual({ masked: "The capital of [mask] is Oslo, and the king lives in Oslo.", occurrences: 1 });
  });

  test("a run's mask options carry its span filter; configurations recorded before it mean none", () => {
    expect(maskOptionsOf({ maxOccurrences: 8, maskMode: "all" })).toEqual({ maxOccurrences: 8, mode: "all", filter: "none" });
    expect(maskOptionsOf({ maxOccurrences: 2, maskMode: "words", spanFilter: "entity" })).toEqual({ maxOccurrences: 2, mode: "words", filter: "entity" });
  });

  test("stop-word spans are recognised through case and punctuation", () => {
    expect(isStopWordSpan("Of the,")).toBe(true);
    expect(isStopWordSpan("of Oslo")).toBe(false);
    expect(isStopWordSpan("")).toBe(true);
  });
});
