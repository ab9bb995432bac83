// How runs prompt the model and what ends its completions: the paper template's reasoning runs over
// newlines and ends after its braced answer; compact runs (and every recorded log) keep the newline
// stop; --chat-template wraps prompts as a user message for instruct models.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { readEpisodeLog } from "../../src/protocol/log.ts";
import { parseArgs, type CommandSpec, type ParsedArgs } from "../../src/cli/args.ts";
import { resolveRunConfig } from "../../src/cli/run-config.ts";
import { MODEL_FLAGS, RUN_FLAGS, SIM_FLAGS } from "../../src/cli/run-flags.ts";
import { ModelBackend } from "../../src/backends/model/backend.ts";
import { completionStops, PromptEncoder } from "../../src/backends/model/prompting.ts";
import { ModelError } from "../../src/model/hf-config.ts";
import { loadModel } from "../../src/model/model.ts";
import { runConfigFrom, type RunConfig } from "../../src/runtime/config.ts";
import { lastBracedArgument } from "../../src/tasks/pretrainzero/braced.ts";
import { predictorPrompt } from "../../src/tasks/pretrainzero/prompts.ts";

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const QWEN = join(ROOT, "fixtures/tiny-qwen3");
const LLAMA = join(ROOT, "fixtures/tiny-llama");
const SPEC: CommandSpec = { name: "train", summary: "", flags: [...MODEL_FLAGS, ...RUN_FLAGS, ...SIM_FLAGS], acceptsRunFolder: true };
const run = (backend: "model" | "sim", ...argv: string[]) => resolveRunConfig(parseArgs(SPEC, argv) as ParsedArgs, backend).config;

describe("stop rules of a run", () => {
  test("the paper template has no newline stop and ends each role after its braced answer; compact keeps the newline and no answer rule", () => {
    const paper = run("model", "--template", "paper");
    expect(paper.model.stopStrings).toEqual([]);
    expect(completionStops(paper, "generator")).toEqual({ stopStrings: [], stopAfterBraced: "mask" });
    expect(completionStops(paper, "predictor")).toEqual({ stopStrings: [], stopAfterBraced: "boxed" });
    const compact = run("model");
    expect(compact.template).toBe("compact");
    expect(completionStops(compact, "predictor")).toEqual({ stopStrings: ["\n"] });
    expect(run("model", "--template", "paper", "--task", "rpt").model.stopStrings).toEqual([]);
    expect(completionStops(run("model", "--template", "paper", "--task", "rpt"), "predictor").stopAfterBraced).toBe("boxed");
    // A task's own stop strings win: RLP's thought ends at </think>, Absolute Zero's multi-line programs at EOS only.
    expect(completionStops(run("model", "--template", "paper", "--task", "rlp"), "predictor")).toEqual({ stopStrings: ["</think>"] });
    expect(completionStops(run("model", "--task", "azr"), "generator")).toEqual({ stopStrings: [] });
    // The simulator's header is as before (it generates no text).
    expect(run("sim").model.stopStrings).toEqual(["\n"]);
  });

  test("a rerun that switches the template takes that template's stop strings; one that does not keeps the run's", () => {
    const spec = (argv: string[]) => parseArgs(SPEC, argv) as ParsedArgs;
    const base = resolveRunConfig(spec([]), "model");
    expect(resolveRunConfig(spec(["--template", "paper"]), "model", base).config.model.stopStrings).toEqual([]);
    const paper = resolveRunConfig(spec(["--template", "paper"]), "model");
    expect(resolveRunConfig(spec(["--steps", "3"]), "model", paper).config.model.stopStrings).toEqual([]);
    expect(resolveRunConfig(spec(["--task", "rpt"]), "model", paper).config.model.stopStrings).toEqual([]);
  });

  test("recorded logs read back with plain prompts and exactly their recorded stop strings (so they replay unchanged)", () => {
    for (const file of ["x64-avx2/tiny-pretrainzero.spzlog", "x64-avx2/tiny-azr.spzlog", "sim-pretrainzero.spzlog"]) {
      const raw = readEpisodeLog(join(ROOT, "fixtures/logs", file), { lazy: true, only: "learner" }).header.config as Record<string, unknown>;
      const config = runConfigFrom(raw);
      expect(config.model.chatTemplate).toBe("off");
      const recorded = (raw.model as { stopStrings: string[] }).stopStrings;
      if (config.backend === "model") expect(completionStops(config, "predictor")).toEqual({ stopStrings: recorded });
    }
  });

  test("--chat-template is off by default and read from the flag", () => {
    expect(run("model").model.chatTemplate).toBe("off");
    expect(run("model", "--chat-template", "auto").model.chatTemplate).toBe("auto");
    expect(() => run("model", "--chat-template", "yes")).toThrow(/chat-template/);
  });
});

describe("a paper-template generation on a fixture model", () => {
  test("a 256+ token reasoning with newlines is not cut at a newline and stops after the closing brace of \\boxed{...}", async () => {
    const config = run("model", "--template", "paper", "--model", QWEN);
    const model = loadModel(QWEN, { deterministic: true });
    const tok = model.tokenizer;
    const prompt = new PromptEncoder(tok, config.model.chatTemplate, QWEN).encode(predictorPrompt("The [mask] is the capital of France.", "paper"));
    const lines = Array.from({ length: 10 }, (_, i) => `Step ${i + 1}: the sentence names a capital, so I check the city again.`);
    const reasoning = `${lines.join("\n")}\nSo the hidden word is `;
    const answer = "\\boxed{Paris}";
    const script = `${reasoning}${answer}\nThat is my answer, and more lines follow.`;
    // Greedy, constrained to the script (the model's choice among the tokens that keep to it), with
    // no EOS (a random model would end at once): the stop rule alone must end it.
    const forced = { prompt, maxNewTokens: 1024, temperature: 0, stopTokenIds: [], accept: (t: string) => script.startsWith(t) };
    const [g] = await model.generate([{ ...forced, ...completionStops(config, "predictor") }]);
    expect(tok.encode(reasoning, { addSpecialTokens: false }).length).toBeGreaterThanOrEqual(256);
    expect(g!.tokens.length).toBeGreaterThanOrEqual(256);
    expect(g!.finishReason).toBe("stop");
    expect(g!.text).toBe(reasoning + answer);
    expect(lastBracedArgument(g!.text, "boxed")).toBe("Paris");
    // The compact run's rule on the same script would have stopped at the first line.
    const [cut] = await model.generate([{ ...forced, ...completionStops(run("model", "--model", QWEN), "predictor") }]);
    expect(cut!.text).toBe(lines[0]!);
    await model.release();
  });
});

describe("--chat-template", () => {
  const base = (dir: string, chatTemplate: RunConfig["model"]["chatTemplate"]): RunConfig => {
    const c = run("model", "--model", dir, "--chat-template", chatTemplate);
    return { ...c, model: { ...c.model, maxNewTokens: { generator: 6, predictor: 6 } } };
  };

  test("on: a prompt is one user message with the generation prompt, encoded without adding special tokens again", () => {
    const tok = loadModel(QWEN, { deterministic: true }).tokenizer;
    const enc = new PromptEncoder(tok, "on", QWEN);
    expect(enc.encode("Text: a b\nHidden:")).toEqual(tok.encode("<|im_start|>user\nText: a b\nHidden:<|im_end|>\n<|im_start|>assistant\n", { addSpecialTokens: false }));
    expect(new PromptEncoder(tok, "off", QWEN).encode("x y")).toEqual(tok.encode("x y"));
    expect(new PromptEncoder(tok, "auto", QWEN).chat).toBe(true);
  });

  test("auto leaves a model without a template on plain prompts; on is a one-line error naming the folder", () => {
    const tok = loadModel(LLAMA, { deterministic: true }).tokenizer;
    expect(new PromptEncoder(tok, "auto", LLAMA).encode("x y")).toEqual(tok.encode("x y"));
    let err: unknown;
    try {
      ModelBackend.load(base(LLAMA, "on"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toBe(`--chat-template on: ${LLAMA} has no chat template (tokenizer_config.json chat_template or chat_template.jinja); use --chat-template off for a base model`);
  });

  test("the learner's model backend samples from the wrapped prompt (the same draws as generating from it directly)", async () => {
    const config = base(QWEN, "on");
    const b = ModelBackend.load(config);
    const text = "Text: The cat sat.\nHidden:";
    const [res] = await b.sample({ type: "sample.request", step: 2, version: 0, role: "predictor", prompts: [{ key: "k", text }], n: 2 }, "r0");
    const wrapped = new PromptEncoder(b.model.tokenizer, "on", QWEN).encode(text);
    const direct = await b.model.generate([0, 1].map((i) => ({ prompt: wrapped, maxNewTokens: 6, temperature: config.model.temperature, topP: 1, topK: 0, stopStrings: ["\n"], rng: { seed: config.seed, step: 2, role: "predictor", item: "k", sample: i } })));
    expect(res!.completions.map((c) => Array.from(c.tokens!))).toEqual(direct.map((g) => Array.from(g.tokens)));
    const plain = await b.model.generate([{ prompt: b.model.tokenizer.encode(text), maxNewTokens: 6, temperature: config.model.temperature, stopStrings: ["\n"], rng: { seed: config.seed, step: 2, role: "predictor", item: "k", sample: 0 } }]);
    expect(Array.from(plain[0]!.tokens)).not.toEqual(Array.from(direct[0]!.tokens));
    await b.model.release();
  });
});
