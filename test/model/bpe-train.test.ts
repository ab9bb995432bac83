import { expect, setDefaultTimeout, test } from "bun:test";
import { Tokenizer } from "@huggingface/tokenizers";
import { factbookPassages } from "../../src/data/factbook.ts";
import { bytesToUnicode, GPT2_PATTERN, tokenizerJson, trainBpe } from "../../src/model/bpe-train.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const corpus = factbookPassages().slice(0, 400);
const bpe = trainBpe(corpus, { vocabSize: 1024, specialTokens: ["<|endoftext|>", "<|pad|>"] });
const tok = new Tokenizer(tokenizerJson(bpe), {});

/** Textbook BPE encoding by merge rank: an independent reading of the same merges. */
function referenceEncode(text: string): number[] {
  const byteChar = bytesToUnicode();
  const rank = new Map(bpe.merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids: number[] = [];
  for (const m of text.matchAll(GPT2_PATTERN)) {
    let parts = Array.from(new TextEncoder().encode(m[0]), (b) => byteChar[b]!);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), parts[best]! + parts[best + 1]!, ...parts.slice(best + 2)];
    }
    for (const p of parts) ids.push(bpe.vocab.get(p)!);
  }
  return ids;
}

test("trains exactly the requested vocabulary, specials first", () => {
  expect(bpe.vocab.size).toBe(1024);
  expect(bpe.vocab.get("<|endoftext|>")).toBe(0);
  expect(bpe.vocab.get("<|pad|>")).toBe(1);
  expect(bpe.merges).toHaveLength(1024 - 2 - 256);
});

test("training is deterministic", () => {
  const again = trainBpe(corpus, { vocabSize: 1024, specialTokens: ["<|endoftext|>", "<|pad|>"] });
  expect(again.merges).toEqual(bpe.merges);
});

test("the Hugging Face tokenizers library reads the tokenizer.json and encodes as textbook BPE does", () => {
  for (const text of [...factbookPassages().slice(1000, 1010), "Ünïcödé — and emoji 🎉, tabs\tand  double  spaces."]) {
    expect(tok.encode(text).ids).toEqual(referenceEncode(text));
    expect(tok.decode(tok.encode(text).ids)).toBe(text);
  }
});

test("compresses prose well below one token per byte and keeps special tokens whole", () => {
  const text = factbookPassages()[2000]!;
  expect(tok.encode(text).ids.length / Buffer.byteLength(text)).toBeLessThan(0.4);
  expect(tok.encode("<|endoftext|>").ids).toEqual([0]);
});

test("refuses a vocabulary smaller than the byte alphabet", () => {
  expect(() => trainBpe(["x"], { vocabSize: 100 })).toThrow(/at least 256/);
});
