// Byte-level BPE training (GPT-2 style), written out as a Hugging Face tokenizer.json that any
// tokenizers implementation reads. Words are counted once; merges update pair counts incrementally
// and the best pair comes from a lazy max-heap, so training on a few MB takes seconds.

/** GPT-2's pre-tokenizer pattern: contractions, letters, digits, other symbols, whitespace. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible map from bytes to printable characters (so tokens are valid JSON strings). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i]!)));
  return out;
}

export interface BpeTrainOptions {
  vocabSize: number;
  /** Special tokens, given the first ids in this order. */
  specialTokens?: string[];
  /** Pairs seen fewer times than this are never merged. */
  minFrequency?: number;
}

export interface TrainedBpe {
  vocab: Map<string, number>;
  merges: [string, string][];
  specialTokens: string[];
}

class MaxHeap {
  private readonly keys: number[] = [];
  private readonly prio: number[] = [];
  push(key: number, p: number): void {
    this.keys.push(key);
    this.prio.push(p);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): [number, number] | undefined {
    if (this.keys.length === 0) return undefined;
    const top: [number, number] = [this.keys[0]!, this.prio[0]!];
    const k = this.keys.pop()!;
    const p = this.prio.pop()!;
    if (this.keys.length > 0) {
      this.keys[0] = k;
      this.prio[0] = p;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.keys.length && this.before(l, m)) m = l;
        if (r < this.keys.length && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  /** Higher count first; ties broken by the smaller pair key so training is deterministic. */
  private before(a: number, b: number): boolean {
    return this.prio[a]! > this.prio[b]! || (this.prio[a] === this.prio[b] && this.keys[a]! < this.keys[b]!);
  }
  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b]!, this.keys[a]!];
    [this.prio[a], this.prio[b]] = [this.prio[b]!, this.prio[a]!];
  }
}

const PAIR = 1 << 20;
const pairKey = (a: number, b: number) => a * PAIR + b;

export function trainBpe(texts: Iterable<string>, opts: BpeTrainOptions): TrainedBpe {
  const specials = opts.specialTokens ?? [];
  const minFreq = opts.minFrequency ?? 2;
  const byteChar = bytesToUnicode();
  const encoder = new TextEncoder();
  if (opts.vocabSize < specials.length + 256) {
    throw new RangeError(`vocabSize must be at least ${specials.length + 256} (256 bytes + special tokens), got ${opts.vocabSize}`);
  }

  // Count words (pre-tokens) once.
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(GPT2_PATTERN)) wordCounts.set(m[0], (wordCounts.get(m[0]) ?? 0) + 1);
  }
  // Symbols: ids into `symbols` (initially the 256 byte characters).
  const symbols: string[] = [...byteChar];
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [w, c] of [...wordCounts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    words.push(Array.from(encoder.encode(w)));
    freqs.push(c);
  }

  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: 1 | -1) => {
    const w = words[wi]!;
    for (let i = 0; i + 1 < w.length; i++) {
      const k = pairKey(w[i]!, w[i + 1]!);
      counts.set(k, (counts.get(k) ?? 0) + sign * freqs[wi]!);
      if (sign > 0) {
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);
  const heap = new MaxHeap();
  for (const [k, c] of counts) heap.push(k, c);

  const merges: [number, number][] = [];
  const target = opts.vocabSize - specials.length;
  while (symbols.length < target) {
    const top = heap.pop();
    if (!top) break;
    const [k, c] = top;
    const live = counts.get(k) ?? 0;
    if (live !== c) {
      if (live > 0) heap.push(k, live); // stale entry: re-queue with its current count
      continue;
    }
    if (c < minFreq) break;
    const a = Math.floor(k / PAIR);
    const b = k % PAIR;
    const id = symbols.length;
    symbols.push(symbols[a]! + symbols[b]!);
    merges.push([a, b]);
    const touched = new Set<number>();
    for (const wi of where.get(k) ?? []) {
      const w = words[wi]!;
      let has = false;
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) has = true;
      if (!has) continue;
      addPairs(wi, -1);
      const merged: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          merged.push(id);
          i++;
        } else merged.push(w[i]!);
      }
      words[wi] = merged;
      addPairs(wi, 1);
      for (let i = 0; i + 1 < merged.length; i++) touched.add(pairKey(merged[i]!, merged[i + 1]!));
    }
    counts.delete(k);
    for (const t of touched) heap.push(t, counts.get(t) ?? 0);
  }

  const vocab = new Map<string, number>();
  specials.forEach((s, i) => vocab.set(s, i));
  symbols.forEach((s, i) => vocab.set(s, specials.length + i));
  return { vocab, merges: merges.map(([a, b]) => [symbols[a]!, symbols[b]!]), specialTokens: specials };
}

/** The Hugging Face tokenizer.json for a trained byte-level BPE. */
export function tokenizerJson(bpe: TrainedBpe): Record<string, unknown> {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: bpe.specialTokens.map((content) => ({
      id: bpe.vocab.get(content)!,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}
