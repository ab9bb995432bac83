import { expect, test } from "bun:test";
import { join } from "node:path";
import { TextTokenizer } from "../../../src/model/tokenizer.ts";
import { rng } from "../../../src/runtime/rng.ts";
import { rptCut } from "../../../src/tasks/rpt/positions.ts";
import { prefixReward, tokenBoundaries } from "../../../src/tasks/rpt/reward.ts";

// " Paris is big" tokenized as " Paris", " is", " big": boundaries after 6, 9 and 13 bytes.
const CONT = " Paris is big";
const BOUNDS = tokenBoundaries(CONT, [" Paris", " Paris is", " Paris is big"]);

test("token boundaries are the byte ends of the continuation's token prefixes", () => {
  expect(BOUNDS).toEqual([6, 9, 13]);
  // A prefix that is not the text's own (a token ending inside a multi-byte character decodes to U+FFFD) marks no boundary.
  expect(tokenBoundaries(" été", [" \uFFFD", " é", " été"])).toEqual([3, 6]);
});

test.each([
  ["\\boxed{Paris}", 1, "one whole token"],
  ["\\boxed{Paris is}", 1, "two whole tokens"],
  ["\\boxed{ Paris }", 1, "surrounding spaces are not part of the answer"],
  ["\\boxed{Par}", 0, "ends inside a token"],
  ["\\boxed{Paris i}", 0, "ends inside the second token"],
  ["\\boxed{London}", 0, "not a prefix"],
  ["\\boxed{Paris is big and}", 0, "longer than the ground truth"],
  ["\\boxed{}", 0, "empty"],
  ["Paris", 0, "no boxed answer"],
] as const)("prefix reward of %p is %p (%s)", (completion, reward) => {
  expect(prefixReward(completion, CONT, BOUNDS)).toBe(reward);
});

test("an RPT cut is the words before a high-entropy word, and that word and the next ones as ground truth", () => {
  const passage = "one two three four five six";
  const h = [0, 0.1, 5, 0.2, 0.3, 0.1];
  // Only word 2 is in the top 20% (one of five words), so every draw cuts there.
  for (let i = 0; i < 5; i++) {
    expect(rptCut(passage, h, rng({ seed: 1, step: 0, role: "t", item: "p", sample: i }), 0.2, 2)).toEqual({ masked: "one two", span: " three four" });
  }
  expect(rptCut("one", [0], rng({ seed: 1, step: 0, role: "t", item: "p" }), 0.2, 2)).toBeNull();
});

test("token boundaries on a real tokenizer that adds a BOS token (Llama 3 template)", () => {
  const tok = TextTokenizer.load(join(import.meta.dir, "../../../fixtures/tiny-llama"));
  const cont = " the cat sat";
  const ids = tok.encode(cont, { addSpecialTokens: false });
  const b = tokenBoundaries(cont, ids.map((_, i) => tok.decode(ids.slice(0, i + 1))));
  expect(b.length).toBeGreaterThan(0);
  expect(b.at(-1)).toBe(new TextEncoder().encode(cont).length);
  // With the BOS, no decoded prefix is a prefix of the text: the reward would always be 0.
  const withBos = tok.encode(cont);
  expect(withBos.length).toBe(ids.length + 1);
  expect(tokenBoundaries(cont, withBos.map((_, i) => tok.decode(withBos.slice(0, i + 1))))).toEqual([]);
});
