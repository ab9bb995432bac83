// Absolute Zero defaults to the shipped Python model; an explicit --model, and the model a run
// recorded, still win.

import { expect, test } from "bun:test";
import { parseArgs, type CommandSpec, type ParsedArgs } from "../../../src/cli/args.ts";
import { resolveRunConfig } from "../../../src/cli/run-config.ts";
import { MODEL_FLAGS, RUN_FLAGS, SIM_FLAGS } from "../../../src/cli/run-flags.ts";

const SPEC: CommandSpec = { name: "train", summary: "", flags: [...MODEL_FLAGS, ...RUN_FLAGS, ...SIM_FLAGS], acceptsRunFolder: true };
const parse = (...argv: string[]) => parseArgs(SPEC, argv) as ParsedArgs;

test("a new azr run uses fixtures/python-model, other tasks keep fixtures/default-model", () => {
  expect(resolveRunConfig(parse("--task", "azr"), "model").config.model.dir).toBe("fixtures/python-model");
  expect(resolveRunConfig(parse(), "model").config.model.dir).toBe("fixtures/default-model");
  expect(resolveRunConfig(parse("--task", "rpt"), "model").config.model.dir).toBe("fixtures/default-model");
});

test("an explicit --model wins over the task's default, even when it names the global default", () => {
  expect(resolveRunConfig(parse("--task", "azr", "--model", "/m/other"), "model").config.model.dir).toBe("/m/other");
  expect(resolveRunConfig(parse("--task", "azr", "--model", "fixtures/default-model"), "model").config.model.dir).toBe("fixtures/default-model");
});

test("resuming or rerunning keeps the model the run recorded", () => {
  // An azr run recorded before the task had a default model.
  const old = resolveRunConfig(parse("--task", "azr", "--model", "fixtures/default-model"), "model");
  expect(resolveRunConfig(parse(), "model", old).config.model.dir).toBe("fixtures/default-model");
  expect(resolveRunConfig(parse("--steps", "9"), "model", old).config.model.dir).toBe("fixtures/default-model");
  // A pretrainzero run rerun as azr keeps its model too (another task keeps the shared settings).
  const pz = resolveRunConfig(parse(), "model");
  expect(resolveRunConfig(parse("--task", "azr"), "model", pz).config.model.dir).toBe("fixtures/default-model");
  // And --model still wins over the recorded one.
  expect(resolveRunConfig(parse("--model", "/m/x"), "model", old).config.model.dir).toBe("/m/x");
});
