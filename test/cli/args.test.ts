import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  bool,
  type CommandSpec,
  COMMON_FLAGS,
  defineCommand,
  helpText,
  InputError,
  int,
  type Io,
  num,
  oneOf,
  optInt,
  optStr,
  type ParsedArgs,
  parseArgs,
  str,
  UsageError,
} from "../../src/cli/args.ts";
import { LogError } from "../../src/protocol/log.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const spec: CommandSpec = {
  name: "simulate",
  summary: "run the actors against the simulator",
  positionals: [{ name: "out", help: "output directory" }],
  flags: [
    { name: "steps", type: "int", help: "training steps", default: 10, min: 1 },
    { name: "seed", type: "int", help: "run seed", default: 0 },
    { name: "lr", type: "number", help: "learning rate", default: 0.01, min: 0, max: 1 },
    { name: "backend", type: "enum", values: ["cpu", "cuda"], help: "where models run", default: "cpu" },
    { name: "record", type: "path", help: "episode log to write" },
    { name: "name", type: "string", short: "n", help: "run name" },
    { name: "deterministic", type: "boolean", help: "deterministic kernels", default: true },
    { name: "verbose", type: "boolean", short: "v", help: "chatty output" },
  ],
  examples: ["bun run simulate --steps 20 --record runs/a.log"],
};

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "spz-args-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function config(value: unknown, name = `c${Math.random().toString(36).slice(2)}.json`): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

function parse(argv: string[]): ParsedArgs {
  const r = parseArgs(spec, argv);
  if (r === "help") throw new Error("unexpected help");
  return r;
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as Error;
  }
  throw new Error("expected an error, nothing was thrown");
}

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

describe("parsing", () => {
  test("defaults apply when nothing is given, in declaration order", () => {
    const a = parse([]);
    expect(a.flags).toEqual({
      steps: 10,
      seed: 0,
      lr: 0.01,
      backend: "cpu",
      record: undefined,
      name: undefined,
      deterministic: true,
      verbose: false,
    });
    expect(Object.keys(parse(["--verbose", "--seed", "3", "--steps", "2"]).flags)).toEqual(spec.flags.map((f) => f.name));
    expect(a.json).toBe(false);
    expect(a.debug).toBe(false);
  });

  test("--flag value and --flag=value give the same result", () => {
    expect(parse(["--steps", "5", "--backend", "cuda"]).flags).toEqual(parse(["--steps=5", "--backend=cuda"]).flags);
    expect(parse(["--steps=5"]).flags.steps).toBe(5);
    expect(parse(["--name=a=b"]).flags.name).toBe("a=b");
  });

  test("short flags", () => {
    expect(parse(["-n", "x", "-v"]).flags).toMatchObject({ name: "x", verbose: true });
    expect(parse(["-n=y"]).flags.name).toBe("y");
  });

  test("booleans: --flag, --no-flag, --flag=false", () => {
    expect(parse(["--no-deterministic"]).flags.deterministic).toBe(false);
    expect(parse(["--verbose"]).flags.verbose).toBe(true);
    expect(parse(["--verbose=false"]).flags.verbose).toBe(false);
    expect(errorOf(() => parse(["--verbose=yes"])).message).toBe('--verbose must be true or false, got "yes"');
  });

  test("a boolean does not swallow the next argument", () => {
    const a = parse(["--verbose", "outdir"]);
    expect(a.flags.verbose).toBe(true);
    expect(a.positionals).toEqual(["outdir"]);
  });

  test("negative numbers are values, not flags", () => {
    const negSpec: CommandSpec = { name: "t", summary: "t", flags: [{ name: "bias", type: "number", help: "b" }] };
    const r = parseArgs(negSpec, ["--bias", "-0.5"]);
    expect(r !== "help" && r.flags.bias).toBe(-0.5);
  });

  test("-- ends the flags", () => {
    const a = parse(["--steps", "2", "--", "--steps"]);
    expect(a.flags.steps).toBe(2);
    expect(a.positionals).toEqual(["--steps"]);
  });

  test("the last of a repeated flag wins", () => {
    expect(parse(["--seed", "1", "--seed", "2"]).flags.seed).toBe(2);
  });

  test("--json and --debug are exposed", () => {
    const a = parse(["--json", "--debug"]);
    expect(a.json).toBe(true);
    expect(a.debug).toBe(true);
    expect(bool(a, "json")).toBe(true);
    expect("json" in a.flags).toBe(false);
  });

  test("--help and -h win over everything else", () => {
    expect(parseArgs(spec, ["--stpes", "x", "--help"])).toBe("help");
    expect(parseArgs(spec, ["-h"])).toBe("help");
    expect(parseArgs(spec, ["--", "--help"])).not.toBe("help");
  });
});

describe("command-line errors", () => {
  test("an unknown flag names the command, suggests a fix and points at --help", () => {
    const e = errorOf(() => parse(["--stpes", "3"]));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe("unknown flag --stpes (command simulate); did you mean --steps? run 'bun run simulate --help' for the flags");
    expect(errorOf(() => parse(["--zzzzzz=1"])).message).toBe("unknown flag --zzzzzz (command simulate); run 'bun run simulate --help' for the flags");
    expect(errorOf(() => parse(["-q"])).message).toStartWith("unknown flag -q (command simulate)");
  });

  test("a bad int says what is accepted", () => {
    expect(errorOf(() => parse(["--steps", "abc"])).message).toBe('--steps must be an integer >= 1, got "abc"');
    expect(errorOf(() => parse(["--steps", "1.5"])).message).toBe('--steps must be an integer >= 1, got "1.5"');
    expect(errorOf(() => parse(["--steps", "0"])).message).toBe('--steps must be an integer >= 1, got "0"');
    expect(errorOf(() => parse(["--seed", "1e3"])).message).toBe('--seed must be an integer, got "1e3"');
  });

  test("a bad number states the range", () => {
    expect(errorOf(() => parse(["--lr", "2"])).message).toBe('--lr must be a number between 0 and 1, got "2"');
    expect(errorOf(() => parse(["--lr", "NaN"])).message).toBe('--lr must be a number between 0 and 1, got "NaN"');
    expect(parse(["--lr", ".5"]).flags.lr).toBe(0.5);
    expect(parse(["--lr", "1e-3"]).flags.lr).toBe(0.001);
  });

  test("an enum lists its values", () => {
    expect(errorOf(() => parse(["--backend", "gpu"])).message).toBe('--backend must be one of cpu, cuda, got "gpu"');
    expect(parse(["--backend", "cuda"]).flags.backend).toBe("cuda");
  });

  test("a missing value is reported, not taken from the next flag", () => {
    expect(errorOf(() => parse(["--record"])).message).toBe("--record needs a value (command simulate); it takes a file path");
    expect(errorOf(() => parse(["--record", "--steps", "3"])).message).toBe("--record needs a value (command simulate); it takes a file path");
  });

  test("--no- on a non-boolean is refused", () => {
    expect(errorOf(() => parse(["--no-steps"])).message).toBe(
      "--no-steps is not accepted: --steps is not a boolean flag (command simulate); it takes an integer >= 1",
    );
  });

  test("extra and missing positionals", () => {
    expect(errorOf(() => parse(["a", "b"])).message).toBe('unexpected argument "b" (command simulate); it takes [out]');
    const req: CommandSpec = { name: "replay", summary: "s", positionals: [{ name: "log", help: "l", required: true }], flags: [] };
    expect(errorOf(() => parseArgs(req, [])).message).toBe("missing <log> (command replay); usage: bun run replay [flags] <log>");
    const none: CommandSpec = { name: "bench", summary: "s", flags: [] };
    expect(errorOf(() => parseArgs(none, ["x"])).message).toBe('unexpected argument "x" (command bench); it takes no positional arguments');
  });

  test("variadic positionals take the rest", () => {
    const v: CommandSpec = { name: "score", summary: "s", positionals: [{ name: "files", help: "f", required: true, variadic: true }], flags: [] };
    const r = parseArgs(v, ["a", "b", "c"]);
    expect(r !== "help" && r.positionals).toEqual(["a", "b", "c"]);
  });

  test("a required flag must be given somewhere", () => {
    const r: CommandSpec = { name: "eval", summary: "s", flags: [{ name: "model", type: "path", help: "m", required: true }] };
    expect(errorOf(() => parseArgs(r, [])).message).toBe("--model is required (command eval); it takes a file path");
    expect(parseArgs(r, ["--config", config({ model: "m.onnx" })])).not.toBe("help");
  });
});

describe("config files", () => {
  test("config values are used and typed", () => {
    const a = parse(["--config", config({ steps: 7, backend: "cuda", verbose: true, lr: "0.5" })]);
    expect(a.flags).toMatchObject({ steps: 7, backend: "cuda", verbose: true, lr: 0.5 });
  });

  test("command-line flags override the config, which overrides defaults", () => {
    const file = config({ steps: 7, seed: 3, deterministic: false });
    const a = parse(["--steps", "9", "--config", file]);
    expect(a.flags.steps).toBe(9);
    expect(a.flags.seed).toBe(3);
    expect(a.flags.deterministic).toBe(false);
    expect(parse(["--config", file, "--deterministic"]).flags.deterministic).toBe(true);
    expect(a.flags.lr).toBe(0.01);
  });

  test("json and debug can come from the config", () => {
    const a = parse(["--config", config({ json: true, debug: true })]);
    expect([a.json, a.debug]).toEqual([true, true]);
  });

  test("null in the config means not set", () => {
    expect(parse(["--config", config({ steps: null })]).flags.steps).toBe(10);
  });

  test("relative paths in a config resolve against the config's directory", () => {
    const sub = path.join(dir, "sub");
    fs.mkdirSync(sub, { recursive: true });
    const file = path.join(sub, "cfg.json");
    fs.writeFileSync(file, JSON.stringify({ record: "runs/a.log" }));
    expect(parse(["--config", file]).flags.record).toBe(path.join(sub, "runs", "a.log"));
    expect(parse(["--config", file, "--record", "b.log"]).flags.record).toBe("b.log");
  });

  test("invalid JSON is one line naming the file", () => {
    const file = config("{ steps: 3 ");
    const e = errorOf(() => parse(["--config", file]));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toStartWith(`config file ${file} is not valid JSON (`);
    expect(e.message).toEndWith("; expected a JSON object whose keys are flag names");
    expect(e.message).not.toContain("\n");
  });

  test("a non-object config is refused", () => {
    const file = config([1, 2]);
    expect(errorOf(() => parse(["--config", file])).message).toBe(`config file ${file} must hold a JSON object, got an array; keys are flag names`);
  });

  test("a missing config file is named", () => {
    const file = path.join(dir, "missing.json");
    expect(errorOf(() => parse(["--config", file])).message).toBe(
      `cannot read config file ${file} (--config): no such file; pass a JSON file whose keys are flag names`,
    );
  });

  test("an unknown config key is refused with a suggestion", () => {
    const file = config({ stpes: 3 });
    const e = errorOf(() => parse(["--config", file]));
    expect(e.message).toStartWith(`unknown key "stpes" in config file ${file} (command simulate); did you mean "steps"? keys are flag names: steps, seed,`);
  });

  test("an ill-typed config value names flag and file", () => {
    const file = config({ steps: "abc" });
    expect(errorOf(() => parse(["--config", file])).message).toBe(`--steps must be an integer >= 1, got "abc" (config file ${file})`);
    const file2 = config({ verbose: 1 });
    expect(errorOf(() => parse(["--config", file2])).message).toBe(`--verbose must be true or false, got 1 (config file ${file2})`);
  });
});

describe("help text", () => {
  const text = helpText(spec);

  test("lists every flag, including the common ones", () => {
    for (const f of [...spec.flags, ...COMMON_FLAGS]) expect(text).toMatch(new RegExp(`--(\\[no-\\])?${f.name}\\b`));
    expect(text).toContain("--[no-]deterministic");
    expect(text).toContain("-n, --name <string>");
  });

  test("shows types, defaults, ranges and allowed values", () => {
    expect(text).toContain("--steps <int>");
    expect(text).toContain("default: 10");
    expect(text).toContain("an integer >= 1");
    expect(text).toContain("--backend <cpu|cuda>");
    expect(text).toContain("a number between 0 and 1");
  });

  test("has summary, usage, arguments and examples", () => {
    expect(text).toStartWith("simulate: run the actors against the simulator");
    expect(text).toContain("Usage: bun run simulate [flags] [out]");
    expect(text).toContain("output directory");
    expect(text).toContain("bun run simulate --steps 20 --record runs/a.log");
  });
});

describe("defineCommand", () => {
  test("prints help and exits 0", async () => {
    const io = capture();
    const cmd = defineCommand(spec, async () => 5);
    expect(await cmd.main(["--help"], io)).toBe(0);
    expect(io.out_.join("\n")).toBe(helpText(spec));
  });

  test("passes parsed args to the body and returns its code", async () => {
    const io = capture();
    let seen: ParsedArgs | undefined;
    const cmd = defineCommand(spec, async (a) => {
      seen = a;
    });
    expect(await cmd.main(["--steps", "4"], io)).toBe(0);
    expect(seen!.flags.steps).toBe(4);
    expect(await defineCommand(spec, async () => 3).main([], io)).toBe(3);
  });

  test("a usage error is one stderr line, exit 2, no stack", async () => {
    const io = capture();
    const code = await defineCommand(spec, async () => 0).main(["--stpes", "3"], io);
    expect(code).toBe(2);
    expect(io.err_).toEqual(["error: unknown flag --stpes (command simulate); did you mean --steps? run 'bun run simulate --help' for the flags"]);
    expect(io.out_).toEqual([]);
  });

  test("--debug adds the stack trace, even for parse errors", async () => {
    const io = capture();
    expect(await defineCommand(spec, async () => 0).main(["--steps", "x", "--debug"], io)).toBe(2);
    expect(io.err_[0]).toBe('error: --steps must be an integer >= 1, got "x"');
    expect(io.err_[1]).toContain("UsageError");
    expect(io.err_[1]).toContain("at ");
  });

  test("errors with an exitCode (LogError, CodecError, InputError) map to that code", async () => {
    const io = capture();
    const cmd = defineCommand(spec, async () => {
      throw new LogError("torn tail at byte 10 after record 2 (3 trailing bytes) in x.log: the run was interrupted while writing");
    });
    expect(await cmd.main([], io)).toBe(2);
    expect(io.err_).toEqual(["error: torn tail at byte 10 after record 2 (3 trailing bytes) in x.log: the run was interrupted while writing"]);
  });

  test("an unexpected error exits 1 with a hint, and a stack only with --debug", async () => {
    const io = capture();
    const cmd = defineCommand(spec, async () => {
      throw new TypeError("x is not a function\n  more detail");
    });
    expect(await cmd.main([], io)).toBe(1);
    expect(io.err_).toEqual(["error: x is not a function more detail (run with --debug for the stack trace)"]);
    const io2 = capture();
    expect(await cmd.main(["--debug"], io2)).toBe(1);
    expect(io2.err_.length).toBe(2);
  });

  test("with --json the last stdout line of a failure is JSON", async () => {
    const io = capture();
    expect(await defineCommand(spec, async () => 0).main(["--json", "--steps", "0"], io)).toBe(2);
    expect(JSON.parse(io.out_.at(-1)!)).toEqual({ ok: false, error: '--steps must be an integer >= 1, got "0"', exitCode: 2 });
  });

  test("bad specs are refused when the command is defined", () => {
    expect(() => defineCommand({ name: "x", summary: "", flags: [{ name: "json", type: "boolean", help: "" }] }, async () => 0)).toThrow("provided by every command");
    expect(() => defineCommand({ name: "x", summary: "", flags: [{ name: "k", type: "enum", help: "" }] }, async () => 0)).toThrow("an enum needs values");
    expect(() => defineCommand({ name: "x", summary: "", flags: [{ name: "k", type: "int", help: "", default: "3" }] }, async () => 0)).toThrow("bad default");
    expect(() => defineCommand({ name: "x", summary: "", flags: [{ name: "k", type: "int", help: "", default: 0, min: 1 }] }, async () => 0)).toThrow("bad default");
  });
});

describe("typed accessors", () => {
  test("return typed values", () => {
    const a = parse(["--name", "r1", "--backend", "cuda", "--lr", "0.2"]);
    expect(str(a, "name")).toBe("r1");
    expect(int(a, "steps")).toBe(10);
    expect(num(a, "lr")).toBe(0.2);
    expect(num(a, "steps")).toBe(10);
    expect(bool(a, "deterministic")).toBe(true);
    expect(optStr(a, "record")).toBeUndefined();
    expect(optInt(a, "seed")).toBe(0);
    expect(oneOf(a, "backend", ["cpu", "cuda"] as const)).toBe("cuda");
  });

  test("throw for undeclared or mistyped flags", () => {
    const a = parse([]);
    expect(() => int(a, "stpes")).toThrow("flag --stpes is not declared by command simulate");
    expect(() => int(a, "lr")).toThrow("is number, not int");
    expect(() => str(a, "steps")).toThrow("is int, not string/path/enum");
  });

  test("a required accessor on an unset flag is a usage error", () => {
    const e = errorOf(() => str(parse([]), "record"));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe("--record is required (command simulate)");
  });
});
