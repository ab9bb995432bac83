// What kind of spans the generator chooses, per step: the mechanism behind a run's rewards. A
// collapsing run shows it here first (function words, spans cut out of words, spans that repeat).

import { MASK_TOKEN, occurrenceOffsets, onWordBoundaries, spanWordCount } from "./mask.ts";
import { isStopWordSpan } from "./stopwords.ts";

export interface SpanFacts {
  words: number;
  chars: number;
  /** Only function words (or only punctuation). */
  stopWords: boolean;
  /** Some occurrence starts or ends inside a word ("fur[mask]r"). */
  cutsWord: boolean;
  /** Occurrences in the passage (non-overlapping). */
  occurrences: number;
}

export function spanFacts(passage: string, span: string): SpanFacts {
  const offsets = occurrenceOffsets(passage, span);
  return {
    words: spanWordCount(span),
    chars: span.length,
    stopWords: isStopWordSpan(span),
    cutsWord: offsets.some((at) => !onWordBoundaries(passage, at, at + span.length)),
    occurrences: offsets.length,
  };
}

/** The passage a mask was cut from: every [mask] back to the span (modes all, words and one). */
export function unmask(masked: string, span: string): string {
  return masked.split(MASK_TOKEN).join(span);
}

export interface SpanSummary {
  /** Valid masks summarised. */
  spanCount: number;
  spanChars: number;
  /** Share of spans made only of function words. */
  spanStopFrac: number;
  /** Share of spans that cut a word. */
  spanCutFrac: number;
  /** Share of spans that occur once in their passage. */
  spanUniqueFrac: number;
  /** Mean occurrences of a span in its passage. */
  spanOccurrences: number;
}

export function summariseSpans(facts: readonly SpanFacts[]): SpanSummary {
  const n = facts.length;
  const share = (f: (x: SpanFacts) => boolean) => (n === 0 ? 0 : facts.filter(f).length / n);
  const mean = (f: (x: SpanFacts) => number) => (n === 0 ? 0 : facts.reduce((a, x) => a + f(x), 0) / n);
  return {
    spanCount: n,
    spanChars: mean((x) => x.chars),
    spanStopFrac: share((x) => x.stopWords),
    spanCutFrac: share((x) => x.cutsWord),
    spanUniqueFrac: share((x) => x.occurrences === 1),
    spanOccurrences: mean((x) => x.occurrences),
  };
}
