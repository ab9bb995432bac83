// resolveRunConfig is a pure function of the parsed flags, the backend and (to rerun or resume) a
// base run's configuration.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, type CommandSpec, type ParsedArgs } from "../../src/cli/args.ts";
import { resolveRunConfig } from "../../src/cli/run-config.ts";
import { MODEL_FLAGS, RUN_FLAGS, SIM_FLAGS } from "../../src/cli/run-flags.ts";
import { azrOptions } from "../../src/tasks/azr/options.ts";

const SPEC: CommandSpec = { name: "train", summary: "", flags: [...MODEL_FLAGS, ...RUN_FLAGS, ...SIM_FLAGS], acceptsRunFolder: true };
const parse = (...argv: string[]) => parseArgs(SPEC, argv) as ParsedArgs;

test("defaults come from the backend, then the task, then flags", () => {
  const sim = resolveRunConfig(parse(), "sim").config;
  expect([sim.steps, sim.passages, sim.template, sim.corpus.minWords]).toEqual([100, 32, "paper", 40]);
  const model = resolveRunConfig(parse(), "model");
  expect([model.config.steps, model.config.passages, model.config.template, model.config.corpus.minWords, model.checkpointEvery]).toEqual([15, 8, "compact", 20, 5]);
  const azr = resolveRunConfig(parse("--task", "azr"), "model").config;
  expect([azr.passages, azr.model.maxNewTokens.generator, azr.model.maxNewTokens.predictor, azr.model.stopStrings]).toEqual([4, 96, 48, []]);
  expect(resolveRunConfig(parse("--steps", "3", "--lr", "0.5", "--lora-rank", "4"), "model").config).toMatchObject({ steps: 3, model: { lr: 0.5, lora: { rank: 4, alpha: 16 } } });
});

test("the token limits and a task's own flags are honoured under any task (once ignored under azr)", () => {
  const c = resolveRunConfig(parse("--task", "azr", "--gen-tokens", "7", "--pred-tokens", "9", "--azr-references", "3", "--passages", "2"), "model").config;
  expect(c.model.maxNewTokens).toEqual({ generator: 7, predictor: 9 });
  expect(c.passages).toBe(2);
  expect(azrOptions(c).references).toBe(3);
  expect(c.taskOptions).toMatchObject({ references: 3, official: false });
});

test("with a base run, only flags the user set apply", () => {
  const base = resolveRunConfig(parse("--seed", "9", "--steps", "4", "--task", "rpt"), "model");
  const again = resolveRunConfig(parse(), "model", base);
  expect(again).toEqual(base);
  const more = resolveRunConfig(parse("--steps", "6"), "model", base);
  expect(more.config).toEqual({ ...base.config, steps: 6 });
});

test("rerunning a base run under another task keeps its shared settings and takes the task's own", () => {
  const base = resolveRunConfig(parse("--seed", "7", "--steps", "3", "--corpus", "x.txt", "--task", "azr", "--azr-references", "2"), "model");
  const c = resolveRunConfig(parse("--task", "rlp"), "model", base).config;
  expect([c.seed, c.steps, c.corpus.path, c.task]).toEqual([7, 3, "x.txt", "rlp"]);
  // Azr's 4 proposer prompts, 96/48 tokens and no stop strings are azr's: rlp gets its own.
  expect(c.passages).toBe(8);
  expect(c.model.maxNewTokens.predictor).toBe(32);
  expect(c.model.stopStrings).toEqual(["</think>"]);
  expect(c.taskOptions).toEqual({ emaDecay: 0.999, positions: 1, minContext: 8 });
});

test("a flag of another task is refused rather than ignored", () => {
  expect(() => resolveRunConfig(parse("--task", "rpt", "--rlp-ema-decay", "0.5"), "model")).toThrow("--rlp-ema-decay is a flag of task rlp, not of --task rpt; it would be ignored");
  expect(() => resolveRunConfig(parse("--azr-references", "3"), "model")).toThrow(/--azr-references is a flag of task azr, not of --task pretrainzero/);
});

test("bad combinations are one-line input errors", () => {
  expect(() => resolveRunConfig(parse("--task", "azr"), "sim")).toThrow(/--task azr needs a language model \(--backend model\); /);
  expect(() => resolveRunConfig(parse("--task", "rlp"), "sim")).toThrow(/--task rlp needs a language model/);
  expect(() => resolveRunConfig(parse("--min-words", "50", "--max-words", "10"), "model")).toThrow(/--min-words 50 is above --max-words 10/);
});

test("a run folder's config.json passed back with --config reruns it, flags on top", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "spz-rerun-"));
  try {
    const main = join(import.meta.dir, "../../src/cli/main.ts");
    const sim = (...a: string[]) => Bun.spawnSync(["bun", main, "simulate", "--steps", "2", "--passages", "4", "--runs-dir", dir, ...a], { stdout: "pipe", stderr: "pipe" });
    expect(sim("--run", "a", "--seed", "7").exitCode).toBe(0);
    const r = sim("--run", "b", "--config", join(dir, "a", "config.json"), "--design", "plain");
    expect(r.exitCode).toBe(0);
    const cfg = async (n: string) => ((await Bun.file(join(dir, n, "config.json")).json()) as { config: Record<string, unknown> }).config;
    expect(await cfg("b")).toEqual({ ...(await cfg("a")), design: "plain" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
