// The span classes of the controlled corpus and the key that finds a passage's annotations from
// its text. Shared by the generator (which writes them) and the classifier (which reads them).

import { createHash } from "node:crypto";

/**
 * trivial: predictable from the passage alone; learnable: a fact stated in other documents;
 * noise: a random string unique to its document; other: everything else (filler).
 */
export const SPAN_CLASSES = ["trivial", "learnable", "noise", "other"] as const;
export type SpanClass = (typeof SPAN_CLASSES)[number];
/** The classes the generator annotates ("other" is what no annotation covers). */
export type AnnotatedClass = Exclude<SpanClass, "other">;

/** One annotated span: characters [start, end) of the document text. */
export interface AnnotatedSpan {
  start: number;
  end: number;
  cls: AnnotatedClass;
  /** Learnable spans only: the fact the span states ("Norland/capital") or names ("Norland"). */
  fact?: string;
}

/**
 * Annotations are found by text, not by id: a run only sees passage texts, and a controlled
 * document is exactly one passage. 16 hex digits of SHA-256 of the exact text.
 */
export function passageKey(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
