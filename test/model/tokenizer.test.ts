import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelError } from "../../src/model/hf-config.ts";
import { TextTokenizer } from "../../src/model/tokenizer.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const FIX = join(import.meta.dir, "../../fixtures");
const QWEN = join(FIX, "tiny-qwen3");
const LLAMA = join(FIX, "tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "tokenizer-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function modelError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).exitCode).toBe(2);
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  }
  throw new Error("expected a ModelError");
}

const samples: { text: string; ids: number[] }[] = JSON.parse(readFileSync(join(QWEN, "tokenizer-samples.json"), "utf8")).samples;

describe("fixture tokenizer", () => {
  const qwen = TextTokenizer.load(QWEN);
  const llama = TextTokenizer.load(LLAMA);

  test("encodes like the reference script's independent BPE encoder", () => {
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(qwen.encode(s.text, { addSpecialTokens: false })).toEqual(s.ids);
  });

  test("merges apply: common words take fewer tokens than bytes", () => {
    const text = samples[0].text;
    expect(qwen.encode(text).length).toBeLessThan(new TextEncoder().encode(text).length * 0.6);
  });

  test("round-trips text, including non-ASCII, spacing and special tokens", () => {
    const texts = [...samples.map((s) => s.text), "héllo wörld 日本語 🙂", "a  b\t\tc\n\n d ", "<|im_start|>user\nhi<|im_end|>\n", " , ."];
    for (const t of texts) {
      expect(qwen.decode(qwen.encode(t))).toBe(t);
      expect(llama.decode(llama.encode(t, { addSpecialTokens: false }))).toBe(t);
    }
  });

  test("special tokens come from tokenizer_config.json and encode as single ids", () => {
    expect(qwen.vocabSize).toBe(660);
    expect(qwen.eosToken).toBe("<|endoftext|>");
    expect(qwen.eosId).toBe(656);
    expect(qwen.padId).toBe(656);
    expect(qwen.bosId).toBeNull();
    expect(qwen.addBosToken).toBe(false);
    expect([...qwen.specialTokens.keys()]).toEqual(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>"]);
    expect(qwen.encode("<|im_start|>x<|im_end|>")).toEqual([657, ...qwen.encode("x"), 658]);
    expect(qwen.isSpecial(656)).toBe(true);
    expect(qwen.isSpecial(qwen.encode("x")[0])).toBe(false);
    expect(qwen.decode([657, ...qwen.encode("hi"), 658], { skipSpecialTokens: true })).toBe("hi");
  });

  test("the llama fixture's post-processor adds BOS, and only when special tokens are requested", () => {
    expect(llama.bosToken).toBe("<|begin_of_text|>");
    expect(llama.bosId).toBe(659);
    expect(llama.addBosToken).toBe(true);
    const plain = llama.encode("Its capital", { addSpecialTokens: false });
    expect(llama.encode("Its capital")).toEqual([659, ...plain]);
    expect(qwen.encode("Its capital")).toEqual(plain);
  });

  test("the expected.json sequences decode to text that encodes back to them", () => {
    for (const [dir, tok, skip] of [[QWEN, qwen, 0], [LLAMA, llama, 1]] as const) {
      const exp = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
      const seq: number[] = exp.sequences[0].ids;
      expect(tok.encode(tok.decode(seq.slice(skip)), { addSpecialTokens: false })).toEqual(seq.slice(skip));
    }
  });

  test("decode of nothing is empty and an out-of-range id is a clear error", () => {
    expect(qwen.decode([])).toBe("");
    expect(modelError(() => qwen.decode([1, 660]))).toMatch(/token id 660 is not in the vocabulary \(0\.\.659\)/);
    expect(modelError(() => qwen.decode([-1]))).toMatch(/token id -1/);
  });

  test("applyChatTemplate renders ChatML for a ChatML template and refuses when there is none", () => {
    expect(qwen.chatTemplate).toContain("<|im_start|>");
    const text = qwen.applyChatTemplate([{ role: "user", content: "Name a country." }], { addGenerationPrompt: true });
    expect(text).toBe("<|im_start|>user\nName a country.<|im_end|>\n<|im_start|>assistant\n");
    expect(qwen.encode(text).filter((id) => id === 657).length).toBe(2);
    expect(llama.chatTemplate).toBeNull();
    expect(modelError(() => llama.applyChatTemplate([{ role: "user", content: "x" }]))).toMatch(/has no chat_template/);
  });
});

describe("loading errors", () => {
  const tj = JSON.parse(readFileSync(join(QWEN, "tokenizer.json"), "utf8"));
  const dir = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(tmp, "tok-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  };

  test("a folder without tokenizer.json is named", () => {
    expect(modelError(() => TextTokenizer.load(dir({})))).toMatch(/tokenizer.json: not found; accepted: a model folder with a fast-tokenizer tokenizer.json/);
  });

  test("invalid JSON in tokenizer.json or tokenizer_config.json is named", () => {
    expect(modelError(() => TextTokenizer.load(dir({ "tokenizer.json": "{" })))).toMatch(/tokenizer.json is not valid JSON/);
    expect(modelError(() => TextTokenizer.load(dir({ "tokenizer.json": JSON.stringify(tj), "tokenizer_config.json": "[" })))).toMatch(/tokenizer_config.json is not valid JSON/);
  });

  test("a tokenizer.json without a model, or with an unknown model type, is refused", () => {
    expect(modelError(() => TextTokenizer.load(dir({ "tokenizer.json": "{}" })))).toMatch(/has no "model" section/);
    expect(modelError(() => TextTokenizer.fromJson({ ...tj, model: { type: "Mystery", vocab: {} } }))).toMatch(/model.type is "Mystery"; accepted: BPE, WordPiece, Unigram/);
    expect(modelError(() => TextTokenizer.fromJson({ ...tj, pre_tokenizer: { type: "Nonsense" } }))).toMatch(/tokenizer.json cannot be loaded \(.*Nonsense/);
  });

  test("a special token that the vocabulary lacks is named", () => {
    expect(modelError(() => TextTokenizer.fromJson(tj, { eos_token: "</s>" }))).toMatch(/eos_token "<\/s>" is not in the vocabulary/);
  });

  test("tokenizer_config.json is optional, and AddedToken objects are accepted for special tokens", () => {
    const bare = TextTokenizer.load(dir({ "tokenizer.json": JSON.stringify(tj) }));
    expect(bare.eosId).toBeNull();
    expect(bare.encode("x")).toEqual(TextTokenizer.load(QWEN).encode("x"));
    const t = TextTokenizer.fromJson(tj, { eos_token: { __type: "AddedToken", content: "<|im_end|>" } });
    expect(t.eosId).toBe(658);
  });
});
