// Commands take shared flags from the groups in src/cli/flags/, never redeclare them: a flag named
// like a group's flag has the group's type, bounds and help; only its default, required-ness or
// default note may differ (withDefaults, withoutDefaults, requiredFlags).

import { expect, test } from "bun:test";
import type { FlagSpec } from "../../src/cli/args.ts";
import { benchCommand } from "../../src/cli/bench.ts";
import { corpusCommand } from "../../src/cli/corpus.ts";
import { evalCommand } from "../../src/cli/eval.ts";
import { CORPUS_FLAGS, DEVICE_FLAGS, LORA_FLAGS, MODEL_FLAGS, OPTIMISER_FLAGS, RUN_FOLDER_FLAGS, SAMPLING_FLAGS } from "../../src/cli/flags/index.ts";
import { pretrainCommand } from "../../src/cli/pretrain.ts";
import { scoreCommand } from "../../src/cli/score.ts";

const GROUP_FLAGS = new Map([CORPUS_FLAGS, MODEL_FLAGS, DEVICE_FLAGS, SAMPLING_FLAGS, OPTIMISER_FLAGS, LORA_FLAGS, RUN_FOLDER_FLAGS].flat().map((f) => [f.name, f]));

const shape = ({ default: _d, required: _r, defaultNote: _n, ...rest }: FlagSpec) => rest;

test.each([
  [pretrainCommand, ["lr", "warmup", "corpus", "min-words", "max-words", "text-field", "held-out", "device"]],
  [corpusCommand, ["text-field", "min-words", "max-words", "held-out"]],
  [evalCommand, ["model", "device", "corpus", "min-words", "max-words", "text-field", "held-out"]],
  [benchCommand, ["device"]],
  [scoreCommand, ["model", "device"]],
])("%#: the command's shared flags are the groups'", (command, names) => {
  const shared = command.spec.flags.filter((f) => GROUP_FLAGS.has(f.name));
  expect(shared.map((f) => f.name)).toEqual(names);
  for (const f of shared) expect(shape(f)).toEqual(shape(GROUP_FLAGS.get(f.name)!));
});

test("the defaults each command changes, and why they stay visible", () => {
  const flag = (c: { spec: { flags: FlagSpec[] } }, name: string) => c.spec.flags.find((f) => f.name === name)!;
  expect([flag(pretrainCommand, "min-words").default, flag(pretrainCommand, "max-words").default]).toEqual([20, 100]);
  expect(flag(evalCommand, "corpus").defaultNote).toMatch(/^the run's/);
  expect(flag(evalCommand, "model").default).toBeUndefined();
  expect(flag(scoreCommand, "model").required).toBe(true);
});
