// The generator's side of PretrainZero: read the span out of a completion and hide it in the
// passage (PretrainZero, arXiv 2512.03442: substring match, every occurrence -> "[mask]", drop spans seen >= 8 times).
import type { Rng } from "../../runtime/rng.ts";
import { lastBracedArgument } from "./braced.ts";
import { spanRuleViolation, type SpanFilter, type SpanRuleViolation } from "./span-rules.ts";

export const MASK_TOKEN = "[mask]";
export const DEFAULT_MAX_OCCURRENCES = 8;

export type MaskParse = { span: string } | { invalid: "no-mask" | "empty" };

/**
 * The span named in the completion's last closed \mask{...}, trimmed. Nested braces stay in the
 * span; a completion with no closed \mask{} is "no-mask", one with only whitespace inside is "empty".
 */
export function parseMask(completion: string): MaskParse {
  const arg = lastBracedArgument(completion, "mask");
  if (arg === null) return { invalid: "no-mask" };
  const span = arg.trim();
  if (span.length === 0) return { invalid: "empty" };
  return { span };
}

/**
 * "all" (paper default): every occurrence is masked.
 * "one" (paper's OneMask ablation): one occurrence, drawn with pickRng.
 * "words" (paper's Words ablation): like "all", but every occurrence must start and end on word
 * boundaries; otherwise an unmasked partial occurrence would leak the answer.
 */
export type MaskMode = "all" | "one" | "words";

export interface MaskOptions {
  /** Spans occurring this many times or more are rejected. Default 8. */
  maxOccurrences?: number;
  mode?: MaskMode;
  /** Checkable span rules (span-rules.ts); default "none", the paper's. */
  filter?: SpanFilter;
}

export type MaskInvalid = "not-in-passage" | "too-frequent" | "not-whole-words" | SpanRuleViolation;

/** The mask options of a run: how the generator's spans are checked and applied. */
export function maskOptionsOf(config: { maxOccurrences: number; maskMode: MaskMode; spanFilter?: SpanFilter }): MaskOptions {
  return { maxOccurrences: config.maxOccurrences, mode: config.maskMode, filter: config.spanFilter ?? "none" };
}
export type MaskResult = { masked: string; occurrences: number } | { invalid: MaskInvalid };

/** Start offsets of the non-overlapping occurrences of `span`, left to right (replaceAll semantics). */
export function occurrenceOffsets(passage: string, span: string): number[] {
  const out: number[] = [];
  if (span.length === 0) return out;
  let at = passage.indexOf(span);
  while (at >= 0) {
    out.push(at);
    at = passage.indexOf(span, at + span.length);
  }
  return out;
}

/** Number of non-overlapping occurrences, stopping early once `limit` is reached. */
export function countOccurrences(passage: string, span: string, limit = Infinity): number {
  if (span.length === 0) return 0;
  let n = 0;
  let at = passage.indexOf(span);
  while (at >= 0 && n < limit) {
    n++;
    at = passage.indexOf(span, at + span.length);
  }
  return n;
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && ch !== "" && WORD_CHAR.test(ch);
}

/** True when the text at [start, end) neither starts nor ends inside a word. */
export function onWordBoundaries(passage: string, start: number, end: number): boolean {
  const inside = (a: string | undefined, b: string | undefined) => isWordChar(a) && isWordChar(b);
  return !inside(passage[start - 1], passage[start]) && !inside(passage[end - 1], passage[end]);
}

/**
 * Hide `span` in `passage`. `occurrences` is how many times the span occurs (all of them are
 * masked except in mode "one"). An empty span counts as "not-in-passage". The frequency filter
 * applies in every mode.
 */
export function maskPassage(passage: string, span: string, opts: MaskOptions = {}, pickRng?: Rng): MaskResult {
  const maxOccurrences = opts.maxOccurrences ?? DEFAULT_MAX_OCCURRENCES;
  const mode = opts.mode ?? "all";
  const offsets = occurrenceOffsets(passage, span);
  if (offsets.length === 0) return { invalid: "not-in-passage" };
  const broken = spanRuleViolation(span, opts.filter ?? "none");
  if (broken) return { invalid: broken };
  if (offsets.length >= maxOccurrences) return { invalid: "too-frequent" };
  if (mode === "words") {
    for (const at of offsets) if (!onWordBoundaries(passage, at, at + span.length)) return { invalid: "not-whole-words" };
  }
  if (mode === "one") {
    if (pickRng === undefined) throw new Error('maskPassage: mode "one" needs pickRng to choose the occurrence');
    const at = offsets[pickRng.int(offsets.length)]!;
    return { masked: passage.slice(0, at) + MASK_TOKEN + passage.slice(at + span.length), occurrences: offsets.length };
  }
  // split/join rather than replaceAll: no "$&"-style replacement patterns to worry about.
  return { masked: passage.split(span).join(MASK_TOKEN), occurrences: offsets.length };
}

/** Words in a span, as whitespace-separated tokens (the `spanWords` metric). */
export function spanWordCount(span: string): number {
  const t = span.trim();
  return t.length === 0 ? 0 : t.split(/\s+/).length;
}
