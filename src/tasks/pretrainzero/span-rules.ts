// Checkable versions of the paper's prompt instructions (arXiv 2512.03442, generator prompt: pick
// "entities", spans "as unique as possible"). A real base model follows the instructions; a model
// of a few million parameters cannot read them, so without a rule its generator drifts to the
// spans that are easiest to mask: "the", "of", a letter inside a word. A span that breaks the rule
// is an invalid mask (generator reward 0), the same as a span not in the paragraph.
//
// "none": the paper's setting, instructions only.
// "content": at least one word that is not a function word (stopwords.ts).
// "entity": content, and some word looks like a name or a number: a capital letter or a digit.
//   A capitalised first word of a sentence passes too; the rule is a filter, not a tagger.

import { spanWords, STOP_WORDS } from "./stopwords.ts";

export const SPAN_FILTERS = ["none", "content", "entity"] as const;
export type SpanFilter = (typeof SPAN_FILTERS)[number];

export type SpanRuleViolation = "stop-words" | "not-entity";

const NAME_OR_NUMBER = /^[\p{Lu}\p{Lt}]|\p{N}/u;

/** Why `span` breaks `filter`, or null when it passes. */
export function spanRuleViolation(span: string, filter: SpanFilter): SpanRuleViolation | null {
  if (filter === "none") return null;
  const content = span
    .split(/\s+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ""))
    .filter((w) => w.length > 0 && !STOP_WORDS.has(w.toLowerCase()));
  if (content.length === 0) return "stop-words";
  if (filter === "entity" && !content.some((w) => NAME_OR_NUMBER.test(w))) return "not-entity";
  return null;
}

/** Words of the span (for tests and statistics). */
export { spanWords };
