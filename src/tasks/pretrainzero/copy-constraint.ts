// Constrained decoding for the generator (--span-decoding copy): inside \mask{...} the policy may
// only spell text of the paragraph that starts on a word boundary, and may close the brace only
// where that text also ends on one. A model of a few million parameters cannot copy a span out of
// its prompt reliably (the shipped one writes spans that are not in the paragraph almost every
// time), so without this its generator never produces a mask to learn from. It truncates the
// policy's distribution the way top-k does: the recorded log-prob of each token is still the
// policy's own (src/model/generate.ts), so GRPO trains the unconstrained policy toward the copies
// it was steered to. The paper's setting is free decoding: its prompt asks for a span of the text.

import { MASK_TOKEN } from "./mask.ts";

const OPEN = "\\mask{";
const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const isWord = (ch: string | undefined) => ch !== undefined && ch !== "" && WORD_CHAR.test(ch);

/** Occurrence starts of `s` in `passage` that begin a word (or begin with a non-word character). */
function wordStarts(passage: string, s: string): number[] {
  const out: number[] = [];
  for (let at = passage.indexOf(s); at >= 0; at = passage.indexOf(s, at + 1)) {
    if (!(isWord(passage[at - 1]) && isWord(passage[at]))) out.push(at);
  }
  return out;
}

/**
 * Whether a completion text is allowed so far: anything before the last \mask{; inside it, a
 * prefix of paragraph text starting on a word boundary; once closed, a non-empty span that also
 * ends on one, followed by nothing but whitespace.
 */
export function copyConstraint(passage: string): (text: string) => boolean {
  return (text: string) => {
    const open = text.lastIndexOf(OPEN);
    if (open < 0) return true;
    const inside = text.slice(open + OPEN.length);
    const close = inside.indexOf("}");
    // Braces and backslashes stay out of a span: parseMask balances and escapes them (braced.ts).
    if (/[{\\]/.test(close < 0 ? inside : inside.slice(0, close))) return false;
    if (close < 0) return inside.length === 0 || (!inside.includes(MASK_TOKEN) && wordStarts(passage, inside).length > 0);
    const span = inside.slice(0, close);
    if (span.trim().length === 0 || inside.slice(close + 1).trim() !== "") return false;
    return wordStarts(passage, span).some((at) => !(isWord(passage[at + span.length - 1]) && isWord(passage[at + span.length])));
  };
}
