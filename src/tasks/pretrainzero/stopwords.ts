// English function words: a span made only of these carries no fact to learn ("the", "of the").
// The list is the common closed-class set (articles, pronouns, prepositions, conjunctions,
// auxiliaries); it is used by the span rules (span-rules.ts) and the span statistics.

export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but nor so yet if then than as at by for from in into of off on onto out over to up " +
    "upon with within without about above after against along among around before behind below beneath " +
    "beside between beyond down during except inside near through toward towards under until via " +
    "is am are was were be been being has have had having do does did doing will would shall should can " +
    "could may might must ought i me my mine we us our ours you your yours he him his she her hers it its " +
    "they them their theirs this that these those who whom whose which what when where why how all any " +
    "both each few more most other some such no not only own same too very s t just also there here " +
    "one"
  ).split(" "),
);

/** The span's words, lower-cased, with punctuation stripped; empty words dropped. */
export function spanWords(span: string): string[] {
  return span
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ""))
    .filter((w) => w.length > 0);
}

/** True when every word of the span is a stop word (or it has no word at all: only punctuation). */
export function isStopWordSpan(span: string): boolean {
  return spanWords(span).every((w) => STOP_WORDS.has(w));
}
