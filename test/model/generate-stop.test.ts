// What ends a completion: a reasoning completion (the paper template) runs over newlines and ends
// right after its braced answer; the compact template's newline stop string still cuts at once.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { frozenBinding, randomWeights } from "../../src/model/decoder.ts";
import { Generator } from "../../src/model/generate.ts";
import { parseDecoderConfig } from "../../src/model/hf-config.ts";
import { IncrementalDecoder } from "../../src/model/incremental-decode.ts";
import { TextTokenizer } from "../../src/model/tokenizer.ts";
import { BracedEndScanner, firstBracedEnd, lastBracedArgument } from "../../src/tasks/pretrainzero/braced.ts";
import { rng } from "../../src/runtime/rng.ts";

setDefaultTimeout(120_000);

// One character per token: the completion's text is its tokens, so a scripted text is forced exactly.
const CHARS = "abcdefghijklmnopqrstuvwxyz .,\n\\{}";
const cfg = parseDecoderConfig({
  model_type: "qwen3", hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, head_dim: 16, rope_theta: 10000, vocab_size: CHARS.length, tie_word_embeddings: true,
});
const decode = (ids: readonly number[]) => ids.map((i) => CHARS[i]).join("");

// 10 lines of reasoning (290 characters, so 290 tokens), the answer, then text that must never be generated.
const REASONING = Array.from({ length: 10 }, (_, i) => `line ${"abcdefghij"[i]} of the reasoning, so far so good.`).join("\n") + "\nso the answer is ";
const ANSWER = "\\boxed{a {b} c\\}}";
const AFTER = " and then more text\nthat follows it.";
const SCRIPT = REASONING + ANSWER + AFTER;

describe("stopping after the braced answer", () => {
  const gen = new Generator(cfg, frozenBinding(cfg, randomWeights(cfg, 5), "initializer"), decode, { session: { deterministic: true } });
  // Greedy, constrained to the script: the model's own choice among the tokens that keep to it.
  const forced = { prompt: [1, 2, 3], maxNewTokens: SCRIPT.length, temperature: 0, accept: (t: string) => SCRIPT.startsWith(t) };

  test("a 290-token reasoning with newlines is not cut, and ends right after the brace closing \\boxed{...}", async () => {
    expect(REASONING.length).toBeGreaterThanOrEqual(256);
    const [r] = await gen.generate([{ ...forced, stopAfterBraced: "boxed" }]);
    expect(r!.finishReason).toBe("stop");
    expect(r!.text).toBe(REASONING + ANSWER);
    expect(r!.tokens.length).toBe((REASONING + ANSWER).length);
    expect(lastBracedArgument(r!.text, "boxed")).toBe("a {b} c\\}");
  });

  test("without the rule the same script runs on past the answer; a newline stop string (compact) cuts the reasoning at its first line", async () => {
    const [free, newline] = await gen.generate([forced, { ...forced, stopStrings: ["\n"] }]);
    expect(free!.text).toBe(SCRIPT);
    expect(newline!.text).toBe(REASONING.slice(0, REASONING.indexOf("\n")));
  });

  test("an answer that never closes runs to the token limit; the rule ignores other commands", async () => {
    const [open, other] = await gen.generate([
      { ...forced, maxNewTokens: REASONING.length + 12, stopAfterBraced: "boxed" },
      { ...forced, stopAfterBraced: "mask" },
    ]);
    expect(open!.finishReason).toBe("length");
    expect(open!.text).toBe(SCRIPT.slice(0, REASONING.length + 12));
    expect(other!.text).toBe(SCRIPT);
  });
});

describe("the incremental pieces", () => {
  test("the scanner finds the same end as a scan of the whole text, however the text is split", () => {
    const r = rng({ seed: 3, step: 0, role: "test", item: 0 });
    const alphabet = ["\\boxed{", "\\box", "ed{", "{", "}", "\\", "\\{", "\\}", "a", " ", "\n"];
    for (let trial = 0; trial < 2000; trial++) {
      let text = "";
      const n = 1 + r.int(14);
      for (let i = 0; i < n; i++) text += alphabet[r.int(alphabet.length)];
      const want = firstBracedEnd(text, "boxed");
      const scan = new BracedEndScanner("boxed");
      let got = -1;
      for (let at = 0; at < text.length && got < 0; ) {
        const len = 1 + r.int(4);
        got = scan.push(text.slice(at, at + len));
        at += len;
      }
      expect([text, got]).toEqual([text, want]);
    }
  });

  test("decoded pieces join to the whole completion's text, multi-byte characters included", () => {
    const tok = TextTokenizer.load(join(import.meta.dir, "../../fixtures/tiny-qwen3"));
    const text = "Zürich – 東京 and \\boxed{naïve}\nnext line 🙂.";
    const ids = tok.encode(text, { addSpecialTokens: false });
    const inc = new IncrementalDecoder((x) => tok.decode(x));
    const pieces = ids.map((id) => inc.push(id));
    expect(pieces.join("")).toBe(tok.decode(ids));
    // A character split across byte tokens is held back until it completes.
    expect(pieces.some((p) => p === "")).toBe(true);
  });
});
