// Which class a chosen (masked) span belongs to, for a passage of a controlled corpus.
//
// Rules (see docs/controlled-corpus.md):
// - The span is found the way masking finds it: every non-overlapping occurrence of the exact
//   string (when the exact string is absent, its core without edge punctuation is tried).
// - Each occurrence is trimmed of edge punctuation and widened to whole words, so a partial span
//   ("Ves" of "Vesk", "Orlen" of "Orlen Tavistrand", "41" of "QX7-41ZD") counts as the word it cuts.
// - The span is of every annotated class it overlaps by at least one character; when it overlaps
//   several it takes the hardest (noise > learnable > trivial), since the predictor must restore
//   all of it. A span overlapping none is "other" (filler and function words).
// - "unknown": the passage is not in the sidecar, or the span does not occur in it.

import { existsSync, readFileSync } from "node:fs";
import { CorpusError } from "../corpus-io.ts";
import { CLASSES_FORMAT, CLASSES_FORMAT_VERSION, classesPathFor, type ClassesFile } from "./sidecar.ts";
import { passageKey, SPAN_CLASSES, type AnnotatedClass, type AnnotatedSpan, type SpanClass } from "./spans.ts";

export type SpanLabel = SpanClass | "unknown";
export const SPAN_LABELS = [...SPAN_CLASSES, "unknown"] as const satisfies readonly SpanLabel[];

export interface SpanClasses {
  /** Where the annotations came from. */
  path: string;
  generator: ClassesFile["generator"];
  /** Annotations by passageKey(text). */
  byKey: ReadonlyMap<string, readonly AnnotatedSpan[]>;
}

const ACCEPTED = `accepted: the .classes.json that 'bun run corpus --controlled' writes next to the corpus (format "${CLASSES_FORMAT}", version ${CLASSES_FORMAT_VERSION})`;

/**
 * The span annotations of a controlled corpus, from its sidecar (classesPathFor); null when the
 * corpus has none (any ordinary corpus). A sidecar that exists but cannot be read is a CorpusError.
 */
export function loadSpanClasses(corpusPath: string): SpanClasses | null {
  const path = classesPathFor(corpusPath);
  if (!existsSync(path)) return null;
  const bad = (what: string): never => {
    throw new CorpusError(`${path} is not a span-class sidecar: ${what}; ${ACCEPTED}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return bad(`invalid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return bad("not a JSON object");
  const f = raw as Partial<ClassesFile>;
  if (f.format !== CLASSES_FORMAT) return bad(`format is ${JSON.stringify(f.format)}`);
  if (f.version !== CLASSES_FORMAT_VERSION) return bad(`version is ${JSON.stringify(f.version)}`);
  if (f.generator === null || typeof f.generator !== "object") return bad("no generator object");
  if (!Array.isArray(f.documents)) return bad("no documents array");
  const byKey = new Map<string, AnnotatedSpan[]>();
  f.documents.forEach((d, i) => {
    if (d === null || typeof d !== "object" || typeof d.key !== "string" || !Array.isArray(d.spans)) return bad(`documents[${i}] lacks a string key or a spans array`);
    byKey.set(
      d.key,
      d.spans.map((s, j) => {
        const ok =
          Array.isArray(s) &&
          Number.isInteger(s[0]) &&
          Number.isInteger(s[1]) &&
          s[0] >= 0 &&
          s[1] > s[0] &&
          (s[2] === "trivial" || s[2] === "learnable" || s[2] === "noise") &&
          (s[3] === undefined || typeof s[3] === "string");
        if (!ok) return bad(`documents[${i}].spans[${j}] is not [start, end, "trivial"|"learnable"|"noise", fact?] with 0 <= start < end`);
        return { start: s[0], end: s[1], cls: s[2], ...(s[3] !== undefined ? { fact: s[3] } : {}) };
      }),
    );
  });
  return { path, generator: f.generator, byKey };
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && WORD_CHAR.test(ch);
const EDGE_PUNCT = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const HARDNESS: Record<AnnotatedClass, number> = { trivial: 1, learnable: 2, noise: 3 };

/** Non-overlapping occurrences, left to right, as masking replaces them. */
function occurrences(passage: string, span: string): number[] {
  const out: number[] = [];
  if (span.length === 0) return out;
  for (let at = passage.indexOf(span); at >= 0; at = passage.indexOf(span, at + span.length)) out.push(at);
  return out;
}

/** [start, end) trimmed of edge punctuation and widened to whole words; null when only punctuation. */
function wordRange(passage: string, start: number, end: number): [number, number] | null {
  let a = start;
  let b = end;
  while (a < b && !isWordChar(passage[a])) a++;
  while (b > a && !isWordChar(passage[b - 1])) b--;
  if (a === b) return null;
  while (a > 0 && isWordChar(passage[a - 1])) a--;
  while (b < passage.length && isWordChar(passage[b])) b++;
  return [a, b];
}

/** The class of `span` chosen in `passage` (pure; rules at the top of this file). */
export function classifySpan(classes: SpanClasses, passage: string, span: string): SpanLabel {
  const annotated = classes.byKey.get(passageKey(passage));
  if (annotated === undefined) return "unknown";
  let found = occurrences(passage, span);
  let len = span.length;
  if (found.length === 0) {
    const core = span.replace(EDGE_PUNCT, "");
    found = occurrences(passage, core);
    len = core.length;
  }
  if (found.length === 0) return "unknown";
  let best: AnnotatedClass | null = null;
  for (const at of found) {
    const range = wordRange(passage, at, at + len);
    if (range === null) continue;
    for (const s of annotated) {
      if (range[0] < s.end && s.start < range[1] && (best === null || HARDNESS[s.cls] > HARDNESS[best])) best = s.cls;
    }
  }
  return best ?? "other";
}

/** Share of each label among `labels` (all 0 for none); the shares of a non-empty list sum to 1. */
export function classShares(labels: readonly SpanLabel[]): Record<SpanLabel, number> {
  const out = Object.fromEntries(SPAN_LABELS.map((l) => [l, 0])) as Record<SpanLabel, number>;
  for (const l of labels) out[l]++;
  if (labels.length > 0) for (const l of SPAN_LABELS) out[l] /= labels.length;
  return out;
}
