// Candidate spans of a passage and their features: the simulator's action space.
import { factbookPassages } from "../../data/factbook.ts";
import { countOccurrences, DEFAULT_MAX_OCCURRENCES } from "../../tasks/pretrainzero/mask.ts";

export const FEATURE_NAMES = ["length", "frequency", "position", "rarity", "capitalised", "numeric"] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const NUM_FEATURES = FEATURE_NAMES.length;
export const FEATURE = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<FeatureName, number>;

export interface Word {
  /** Lowercased word, used for unigram counts. */
  norm: string;
  start: number;
  end: number;
  /** A span must not run across this word's end: sentence/clause punctuation or a bracket follows. */
  breakAfter: boolean;
  /** A span must not start before and run into this word: it opens with a bracket or quote. */
  breakBefore: boolean;
}

export interface SpanCandidates {
  passage: string;
  maxWords: number;
  /** Distinct span texts, each an exact substring of the passage, in order of first appearance. */
  spans: string[];
  /** Words per span. */
  words: Int32Array;
  /** Row-major [spans.length x NUM_FEATURES], each feature in [0, 1]. */
  features: Float64Array;
  /** Span text -> index. */
  index: Map<string, number>;
}

const ALNUM = /[\p{L}\p{N}]/u;

function isAlnum(c: string): boolean {
  const x = c.charCodeAt(0);
  if (x < 128) return (x >= 48 && x <= 57) || (x >= 65 && x <= 90) || (x >= 97 && x <= 122);
  return ALNUM.test(c);
}

/** Whitespace tokens with surrounding punctuation stripped; tokens with no letter or digit are dropped. */
export function splitWords(passage: string): Word[] {
  const out: Word[] = [];
  const re = /\S+/g;
  for (let m = re.exec(passage); m !== null; m = re.exec(passage)) {
    const tok = m[0];
    let a = 0;
    let b = tok.length;
    while (a < b && !isAlnum(tok[a]!)) a++;
    while (b > a && !isAlnum(tok[b - 1]!)) b--;
    if (a === b) {
      // A bare punctuation token ("-", "--", ";") separates clauses.
      if (out.length > 0) out[out.length - 1]!.breakAfter = true;
      continue;
    }
    const lead = tok.slice(0, a);
    const trail = tok.slice(b);
    out.push({
      norm: tok.slice(a, b).toLowerCase(),
      start: m.index + a,
      end: m.index + b,
      breakAfter: /[.;:!?()[\]"]/.test(trail),
      breakBefore: /[()[\]"]/.test(lead),
    });
  }
  return out;
}

// ---- corpus-wide unigram rarity, computed once from the Factbook ----

let rarityTable: { counts: Map<string, number>; logMax: number } | null = null;

function rarityCounts(): { counts: Map<string, number>; logMax: number } {
  if (rarityTable !== null) return rarityTable;
  const counts = new Map<string, number>();
  for (const p of factbookPassages()) {
    for (const w of splitWords(p)) counts.set(w.norm, (counts.get(w.norm) ?? 0) + 1);
  }
  let max = 1;
  for (const c of counts.values()) if (c > max) max = c;
  rarityTable = { counts, logMax: Math.log(max) };
  return rarityTable;
}

/** log(maxCount / count) / log(maxCount) over Factbook unigrams: 0 for the commonest word, 1 for unseen or hapax words. */
export function wordRarity(norm: string): number {
  const { counts, logMax } = rarityCounts();
  const c = counts.get(norm) ?? 1;
  return logMax > 0 ? Math.min(1, Math.max(0, (logMax - Math.log(c)) / logMax)) : 1;
}

// ---- candidates, cached per passage ----

const CACHE_LIMIT = 8192;
const cache = new Map<string, SpanCandidates>();

/**
 * Contiguous runs of 1..maxWords words that could be a valid mask: an exact substring of the
 * passage that occurs fewer than 8 times (maskPassage's filter), does not cross sentence/clause
 * punctuation or brackets, and has no braces or backslash (it must survive \mask{...}).
 */
export function spanCandidates(passage: string, maxWords = 4): SpanCandidates {
  const cacheKey = `${maxWords}\u0000${passage}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  const words = splitWords(passage);
  const rarity = words.map((w) => wordRarity(w.norm));
  const capital = words.map((w) => {
    const ch = passage[w.start]!;
    return ch !== ch.toLowerCase() ? 1 : 0;
  });
  const numeric = words.map((w) => (/\d/.test(w.norm) ? 1 : 0));
  const hasBraces = /[{}\\]/.test(passage);
  const spans: string[] = [];
  const nWords: number[] = [];
  const feats: number[] = [];
  const index = new Map<string, number>();
  const len = Math.max(1, passage.length);
  for (let i = 0; i < words.length; i++) {
    let rSum = 0;
    let cSum = 0;
    let nSum = 0;
    // If the first word's text sits at one position only, every span starting there occurs once.
    const first = passage.slice(words[i]!.start, words[i]!.end);
    const unique = passage.indexOf(first) === words[i]!.start && passage.indexOf(first, words[i]!.start + 1) < 0;
    for (let k = 0; k < maxWords && i + k < words.length; k++) {
      const j = i + k;
      if (k > 0 && (words[j - 1]!.breakAfter || words[j]!.breakBefore)) break;
      rSum += rarity[j]!;
      cSum += capital[j]!;
      nSum += numeric[j]!;
      const text = passage.slice(words[i]!.start, words[j]!.end);
      if (index.has(text) || (hasBraces && /[{}\\]/.test(text))) continue;
      const occ = unique ? 1 : countOccurrences(passage, text, DEFAULT_MAX_OCCURRENCES);
      if (occ >= DEFAULT_MAX_OCCURRENCES) continue;
      const n = k + 1;
      index.set(text, spans.length);
      spans.push(text);
      nWords.push(n);
      feats.push(
        maxWords > 1 ? k / (maxWords - 1) : 0,
        (occ - 1) / (DEFAULT_MAX_OCCURRENCES - 2),
        words[i]!.start / len,
        rSum / n,
        cSum / n,
        nSum / n,
      );
    }
  }
  const out: SpanCandidates = { passage, maxWords, spans, words: Int32Array.from(nWords), features: Float64Array.from(feats), index };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(cacheKey, out);
  return out;
}
