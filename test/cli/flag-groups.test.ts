// The shared flag groups and their readers: defaults, each flag's override, and each bad input's
// one-line error, through the same parser the commands use.

import { describe, expect, test } from "bun:test";
import { defineCommand, helpText, InputError, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from "../../src/cli/args.ts";
import {
  CORPUS_FLAGS,
  DEVICE_FLAGS,
  LORA_FLAGS,
  MODEL_FLAGS,
  OPTIMISER_FLAGS,
  pickFlags,
  readCorpus,
  readDevice,
  readLora,
  readModel,
  readOptimiser,
  readRunFolder,
  readSampling,
  requiredFlags,
  RUN_FOLDER_FLAGS,
  SAMPLING_FLAGS,
  withDefaults,
  withoutDefaults,
} from "../../src/cli/flags/index.ts";
import { DEFAULT_RUN_CONFIG } from "../../src/runtime/config.ts";

const D = DEFAULT_RUN_CONFIG;

function parse(flags: readonly FlagSpec[], argv: readonly string[]): ParsedArgs {
  const r = parseArgs({ name: "t", summary: "test", flags: [...flags] }, argv);
  if (r === "help") throw new Error("unexpected help");
  return r;
}

/** The error a parse-and-read throws: its class and one-line message. */
function failure(f: () => unknown): { kind: string; message: string } {
  try {
    f();
  } catch (e) {
    const err = e as Error;
    expect(err.message).not.toContain("\n");
    return { kind: err instanceof UsageError ? "usage" : err instanceof InputError ? "input" : "exitCode" in err ? `exit ${String(err.exitCode)}` : "bug", message: err.message };
  }
  throw new Error("expected an error, nothing was thrown");
}

describe("corpus", () => {
  const read = (...argv: string[]) => readCorpus(parse(CORPUS_FLAGS, argv));

  test("defaults are the run configuration's", () => {
    expect(read()).toEqual(D.corpus);
  });

  test.each([
    [["--corpus", "data.jsonl"], { path: "data.jsonl" }],
    [["--min-words", "10"], { minWords: 10 }],
    [["--max-words", "300"], { maxWords: 300 }],
    [["--text-field", "body.text"], { textField: "body.text" }],
    [["--held-out", "0.2"], { heldOut: 0.2 }],
    [["--held-out", "0"], { heldOut: 0 }],
    [["--min-words", "30", "--max-words", "30"], { minWords: 30, maxWords: 30 }],
  ])("%p", (argv, change) => {
    expect(read(...argv)).toEqual({ ...D.corpus, ...change });
  });

  test.each([
    [["--min-words", "50", "--max-words", "10"], "input", "--min-words 50 is above --max-words 10; it must be at most --max-words"],
    [["--min-words", "200"], "input", "--min-words 200 is above --max-words 160; it must be at most --max-words"],
    [["--corpus", " "], "input", "--corpus is empty; accepted: a corpus file or folder, or factbook"],
    [["--text-field="], "input", '--text-field is empty; accepted: a JSONL key or Parquet column, e.g. "text"'],
    [["--min-words", "0"], "usage", "--min-words must be an integer >= 1, got \"0\""],
    [["--max-words", "1"], "usage", "--max-words must be an integer >= 2, got \"1\""],
    [["--held-out", "0.95"], "usage", "--held-out must be a number between 0 and 0.9, got \"0.95\""],
    [["--held-out", "x"], "usage", "--held-out must be a number between 0 and 0.9, got \"x\""],
  ])("%p fails", (argv, kind, message) => {
    expect(failure(() => read(...argv))).toEqual({ kind, message });
  });

  test("unset and undeclared flags keep the base; the split seed always does", () => {
    const base = { ...D.corpus, path: "runs-corpus.txt", minWords: 20, maxWords: 60, seed: 7 };
    expect(readCorpus(parse(withoutDefaults(CORPUS_FLAGS, "the run's"), []), base)).toEqual(base);
    expect(readCorpus(parse(withoutDefaults(CORPUS_FLAGS, "the run's"), ["--max-words", "80"]), base)).toEqual({ ...base, maxWords: 80 });
    expect(readCorpus(parse(pickFlags(CORPUS_FLAGS, "min-words"), ["--min-words", "5"]), base)).toEqual({ ...base, minWords: 5 });
    // The check holds for the combined value, wherever each side came from.
    expect(failure(() => readCorpus(parse(pickFlags(CORPUS_FLAGS, "min-words"), ["--min-words", "61"]), base)).message).toMatch(/^--min-words 61 is above --max-words 60/);
  });
});

describe("model", () => {
  test("default, override, base", () => {
    expect(readModel(parse(MODEL_FLAGS, []))).toEqual({ dir: D.model.dir });
    expect(readModel(parse(MODEL_FLAGS, ["--model", "fixtures/tiny-llama"]))).toEqual({ dir: "fixtures/tiny-llama" });
    expect(readModel(parse(withoutDefaults(MODEL_FLAGS, "none"), []), { dir: "base" })).toEqual({ dir: "base" });
  });

  test.each([
    [requiredFlags(MODEL_FLAGS, "model"), [], "usage", "--model is required (command t); it takes a file path"],
    [withoutDefaults(MODEL_FLAGS, "none"), [], "usage", "--model is required (command t)"],
    [MODEL_FLAGS, ["--model="], "usage", '--model must be a file path, got ""'],
    [MODEL_FLAGS, ["--model", " "], "input", "--model is empty; accepted: a Hugging Face model folder"],
  ])("%#: bad input fails", (flags, argv, kind, message) => {
    expect(failure(() => readModel(parse(flags, argv)))).toEqual({ kind, message });
  });
});

describe("device", () => {
  test.each([
    [[], { device: "cpu", deterministic: true }],
    [["--device", "cuda"], { device: "cuda", deterministic: true }],
    [["--no-deterministic"], { device: "cpu", deterministic: false }],
    [["--deterministic=false", "--device=cuda"], { device: "cuda", deterministic: false }],
  ] as const)("%p", (argv, want) => {
    expect(readDevice(parse(DEVICE_FLAGS, argv))).toEqual(want);
  });

  test("a command taking only --device keeps the base's determinism", () => {
    expect(readDevice(parse(pickFlags(DEVICE_FLAGS, "device"), ["--device", "cuda"]), { device: "cpu", deterministic: false })).toEqual({ device: "cuda", deterministic: false });
  });

  test.each([
    [["--device", "tpu"], "usage", '--device must be one of cpu, cuda, got "tpu"'],
    [["--deterministic=maybe"], "usage", '--deterministic must be true or false, got "maybe"'],
  ])("%p fails", (argv, kind, message) => {
    expect(failure(() => readDevice(parse(DEVICE_FLAGS, argv)))).toEqual({ kind, message });
  });
});

describe("sampling", () => {
  const read = (...argv: string[]) => readSampling(parse(SAMPLING_FLAGS, argv));
  const dflt = { temperature: D.model.temperature, topP: D.model.topP, topK: D.model.topK };

  test.each([
    [[], {}],
    [["--temperature", "1"], { temperature: 1 }],
    [["--temperature", "0"], { temperature: 0 }],
    [["--top-p", "0.9"], { topP: 0.9 }],
    [["--top-k", "20"], { topK: 20 }],
  ])("%p", (argv, change) => {
    expect(read(...argv)).toEqual({ ...dflt, ...change });
  });

  test.each([
    [["--top-p", "0"], "input", "--top-p 0 keeps no token; accepted: a number above 0 and at most 1 (1: off)"],
    [["--top-p", "1.5"], "usage", '--top-p must be a number between 0 and 1, got "1.5"'],
    [["--temperature", "-1"], "usage", '--temperature must be a number >= 0, got "-1"'],
    [["--top-k", "2.5"], "usage", '--top-k must be an integer >= 0, got "2.5"'],
  ])("%p fails", (argv, kind, message) => {
    expect(failure(() => read(...argv))).toEqual({ kind, message });
  });
});

describe("optimiser", () => {
  const read = (...argv: string[]) => readOptimiser(parse(OPTIMISER_FLAGS, argv));
  const dflt = { lr: D.model.lr, schedule: D.model.schedule, warmup: D.model.warmup, microBatch: D.model.microBatch };

  test.each([
    [[], {}],
    [["--lr", "5e-7"], { lr: 5e-7 }],
    [["--schedule", "constant"], { schedule: "constant" }],
    [["--warmup", "10"], { warmup: 10 }],
    [["--micro-batch", "8"], { microBatch: 8 }],
  ] as const)("%p", (argv, change) => {
    expect(read(...argv)).toEqual({ ...dflt, ...change });
  });

  test("lm-pretrain's subset: its own defaults for the flags it takes, the base for the rest", () => {
    const flags = withDefaults(pickFlags(OPTIMISER_FLAGS, "lr", "warmup"), { lr: 2e-3, warmup: 30 });
    expect(readOptimiser(parse(flags, []))).toEqual({ ...dflt, lr: 2e-3, warmup: 30 });
    expect(readOptimiser(parse(flags, ["--warmup", "0"]))).toEqual({ ...dflt, lr: 2e-3, warmup: 0 });
  });

  test.each([
    [["--lr", "-1"], "usage", '--lr must be a number >= 0, got "-1"'],
    [["--schedule", "linear"], "usage", '--schedule must be one of cosine, constant, got "linear"'],
    [["--micro-batch", "0"], "usage", '--micro-batch must be an integer >= 1, got "0"'],
  ])("%p fails", (argv, kind, message) => {
    expect(failure(() => read(...argv))).toEqual({ kind, message });
  });
});

describe("lora", () => {
  const read = (...argv: string[]) => readLora(parse(LORA_FLAGS, argv));

  test.each([
    [[], null],
    [["--lora-alpha", "32"], null],
    [["--lora-rank", "8"], { rank: 8, alpha: 16 }],
    [["--lora-rank", "4", "--lora-alpha", "8"], { rank: 4, alpha: 8 }],
  ])("%p", (argv, want) => {
    expect(read(...argv)).toEqual(want);
  });

  test("the base's targets are kept", () => {
    expect(readLora(parse(LORA_FLAGS, ["--lora-rank", "2"]), { rank: 8, alpha: 4, targets: ["q_proj"] })).toEqual({ rank: 2, alpha: 16, targets: ["q_proj"] });
  });

  test.each([
    [["--lora-rank", "8", "--lora-alpha", "0"], "input", "--lora-alpha 0 scales the LoRA update of --lora-rank 8 to nothing; accepted: a number above 0"],
    [["--lora-rank", "-1"], "usage", '--lora-rank must be an integer >= 0, got "-1"'],
  ])("%p fails", (argv, kind, message) => {
    expect(failure(() => read(...argv))).toEqual({ kind, message });
  });
});

describe("run folder", () => {
  const read = (...argv: string[]) => readRunFolder(parse(RUN_FOLDER_FLAGS, argv));

  test.each([
    [[], { runsDir: "runs", name: undefined }],
    [["--run", "pz-1.b"], { runsDir: "runs", name: "pz-1.b" }],
    [["--runs-dir", "/tmp/r"], { runsDir: "/tmp/r", name: undefined }],
  ])("%p", (argv, want) => {
    expect(read(...argv)).toEqual(want);
  });

  test.each([
    [["--run", "a/b"], "exit 2", `--run must be a plain folder name (letters, digits, '.', '_', '-'), got "a/b"`],
    [["--run="], "exit 2", `--run must be a plain folder name (letters, digits, '.', '_', '-'), got ""`],
    [["--runs-dir="], "usage", '--runs-dir must be a file path, got ""'],
  ])("%p fails", (argv, kind, message) => {
    expect(failure(() => read(...argv))).toEqual({ kind, message });
  });
});

describe("adapting a group", () => {
  test("withDefaults changes only defaults, and defineCommand checks them against the flag", () => {
    const g = withDefaults(CORPUS_FLAGS, { "min-words": 20 });
    expect(g.find((f) => f.name === "min-words")).toEqual({ ...CORPUS_FLAGS.find((f) => f.name === "min-words")!, default: 20 });
    expect(() => withDefaults(CORPUS_FLAGS, { nope: 1 })).toThrow("withDefaults: --nope is not in the group");
    expect(() => defineCommand({ name: "t", summary: "s", flags: withDefaults(CORPUS_FLAGS, { "max-words": 1 }) }, async () => 0)).toThrow("flag max-words: bad default");
  });

  test("withoutDefaults shows what unset means in --help", () => {
    const help = helpText({ name: "t", summary: "s", flags: withoutDefaults(CORPUS_FLAGS, "the run's", "corpus") });
    expect(help).toMatch(/--corpus <string>\s+corpus file or folder .* \(default: the run's\)/);
    expect(help).toMatch(/--min-words <int>\s+.*default: 40\)/);
    expect(() => withoutDefaults(DEVICE_FLAGS, "x", "deterministic")).toThrow("is a boolean");
    expect(withoutDefaults(DEVICE_FLAGS, "x").find((f) => f.name === "deterministic")!.default).toBe(true);
  });

  test("requiredFlags and pickFlags", () => {
    const [model] = requiredFlags(MODEL_FLAGS, "model");
    expect(model).toMatchObject({ name: "model", required: true });
    expect("default" in model!).toBe(false);
    expect(pickFlags(CORPUS_FLAGS, "held-out", "min-words").map((f) => f.name)).toEqual(["min-words", "held-out"]);
    expect(() => pickFlags(CORPUS_FLAGS, "seed")).toThrow("pickFlags: --seed is not in the group");
  });

  test("no two groups declare the same flag", () => {
    const names = [CORPUS_FLAGS, MODEL_FLAGS, DEVICE_FLAGS, SAMPLING_FLAGS, OPTIMISER_FLAGS, LORA_FLAGS, RUN_FOLDER_FLAGS].flat().map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    // And together they make a valid command.
    expect(() => defineCommand({ name: "all", summary: "s", flags: [...new Set([CORPUS_FLAGS, MODEL_FLAGS, DEVICE_FLAGS, SAMPLING_FLAGS, OPTIMISER_FLAGS, LORA_FLAGS, RUN_FOLDER_FLAGS].flat())] }, async () => 0)).not.toThrow();
  });
});
