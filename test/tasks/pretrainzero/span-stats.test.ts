import { describe, expect, test } from "bun:test";
import { invalidField, SpanObserver } from "../../../src/tasks/pretrainzero/span-observer.ts";
import { spanFacts, summariseSpans, unmask } from "../../../src/tasks/pretrainzero/span-stats.ts";
import type { Message } from "../../../src/protocol/messages.ts";

describe("span statistics describe what the generator masks", () => {
  const passage = "Trafficking offenders further endanger the victims of the trade.";
  test("a function word cut out of a word is a stop-word span that cuts a word and repeats", () => {
    expect(spanFacts(passage, "the")).toEqual({ words: 1, chars: 3, stopWords: true, cutsWord: true, occurrences: 3 });
  });
  test("a whole content word occurring once is unique and cuts nothing", () => {
    expect(spanFacts(passage, "victims")).toEqual({ words: 1, chars: 7, stopWords: false, cutsWord: false, occurrences: 1 });
  });
  test("shares and means over spans", () => {
    const s = summariseSpans([spanFacts(passage, "the"), spanFacts(passage, "victims"), spanFacts(passage, "the victims")]);
    expect(s).toEqual({ spanCount: 3, spanChars: (3 + 7 + 11) / 3, spanStopFrac: 1 / 3, spanCutFrac: 1 / 3, spanUniqueFrac: 2 / 3, spanOccurrences: 5 / 3 });
    expect(summariseSpans([]).spanCount).toBe(0);
  });
  test("unmask restores the paragraph", () => {
    expect(unmask("A [mask] and a [mask].", "cat")).toBe("A cat and a cat.");
  });
  test("invalid reasons become camel-case field names", () => {
    expect(invalidField("not-in-passage")).toBe("invalidNotInPassage");
    expect(invalidField("stop-words")).toBe("invalidStopWords");
  });
});

describe("the span observer summarises each step's masks, whatever order they arrive in", () => {
  const masks = (step: number): Message => ({
    type: "masks", step, version: step, passage: "p1",
    masks: [{ maskId: "p1/g0", masked: "The [mask] of Norway is Oslo." }, { maskId: "p1/g2", masked: "[mask] capital of Norway is Oslo." }],
  }) as Message;
  const answers = (step: number): Message => ({
    type: "answers", step, passage: "p1",
    answers: [{ maskId: "p1/g0", span: "capital" }, { maskId: "p1/g1", span: null, invalid: "not-in-passage" }, { maskId: "p1/g2", span: "The" }],
  }) as Message;

  test("joins masks with answers, counts rejections by reason and forgets the step", () => {
    for (const order of [[masks(3), answers(3)], [answers(3), masks(3)]]) {
      const o = new SpanObserver({ classes: ["noise", "other"], of: (_p, span) => (span === "capital" ? "noise" : "other") });
      for (const m of order) o.see(m);
      const out = o.take(3);
      expect(out).toMatchObject({ spanCount: 2, spanStopFrac: 0.5, spanUniqueFrac: 1, invalidNotInPassage: 1 / 3, invalidStopWords: 0, spanClassNoise: 0.5, spanClassOther: 0.5 });
      expect(o.take(3)).toEqual({});
    }
  });
});
