import { describe, expect, test } from "bun:test";
import { decideCell, type CellObservation } from "../../src/study/cell-state.ts";
import { evalArgs, trainArgs } from "../../src/study/commands.ts";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/runtime/paths.ts";
import { cellsOf, checkExtraTrainFlags, defaultLastSteps, parseMethods, parseSeeds, planDifference, type StudyPlan } from "../../src/study/plan.ts";

const TASKS = ["pretrainzero", "random-span", "next-token"];

const PLAN: StudyPlan = {
  methods: ["base", "random-span", "pretrainzero"],
  seeds: [1, 2],
  train: { model: "/m", steps: 10, passages: null, corpus: "factbook", minWords: 20, maxWords: 60, textField: "text", template: "compact", extra: [] },
  eval: { limit: 50, seed: 0 },
};

describe("seeds and methods", () => {
  test("a count N means seeds 1..N; a list is taken as given", () => {
    expect(parseSeeds("3")).toEqual([1, 2, 3]);
    expect(parseSeeds("0,5,9")).toEqual([0, 5, 9]);
    expect(parseSeeds(" 7 ")).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test("seeds 0, repeated seeds and non-numbers are refused in one line", () => {
    expect(() => parseSeeds("0")).toThrow(/--seeds 0: a count must be between 1 and 1000; accepted:/);
    expect(() => parseSeeds("1,1")).toThrow(/seed 1 is given twice/);
    expect(() => parseSeeds("one")).toThrow(/not a count or a list of seeds/);
    expect(() => parseSeeds("1,-2")).toThrow(/not a count or a list/);
  });

  test("methods are registered tasks plus base, each once", () => {
    expect(parseMethods("base,pretrainzero", TASKS)).toEqual(["base", "pretrainzero"]);
    expect(() => parseMethods("base,spanbert", TASKS)).toThrow('unknown method "spanbert" in --methods; accepted: base, pretrainzero, random-span, next-token');
    expect(() => parseMethods("base,,pretrainzero", TASKS)).toThrow(/empty name/);
    expect(() => parseMethods("base,base", TASKS)).toThrow(/given twice/);
  });
});

describe("the plan", () => {
  test("base is one cell; every other method one cell per seed", () => {
    expect(cellsOf(PLAN).map((c) => c.name)).toEqual(["base", "random-span-s1", "random-span-s2", "pretrainzero-s1", "pretrainzero-s2"]);
  });

  test("the first difference between two plans is named with both values", () => {
    expect(planDifference(PLAN, structuredClone(PLAN))).toBeNull();
    expect(planDifference(PLAN, { ...PLAN, seeds: [1, 2, 3] })).toBe("seeds: 1,2 → 1,2,3");
    expect(planDifference(PLAN, { ...PLAN, train: { ...PLAN.train, steps: 20 } })).toBe("steps: 10 → 20");
    expect(planDifference(PLAN, { ...PLAN, train: { ...PLAN.train, extra: ["--lr", "1e-5"] } })).toBe("train flags after --: none → --lr 1e-5");
    expect(planDifference(PLAN, { ...PLAN, eval: { limit: 50, seed: 1 } })).toBe("eval-seed: 0 → 1");
  });

  test("train flags after -- may not set what the study sets", () => {
    expect(() => checkExtraTrainFlags(["--lr", "3e-5", "--gen-samples", "4"])).not.toThrow();
    expect(() => checkExtraTrainFlags(["--seed", "4"])).toThrow(/--seed after -- is set by the study/);
    expect(() => checkExtraTrainFlags(["--steps=4"])).toThrow(/--steps after --/);
    expect(() => checkExtraTrainFlags(["stray"])).toThrow(/unexpected argument "stray"/);
    expect(() => checkExtraTrainFlags(["--checkpoint-every", "0"])).toThrow(/no checkpoint to evaluate/);
    expect(() => checkExtraTrainFlags(["--checkpoint-every", "3"])).not.toThrow();
  });

  test("the default summary window is a quarter of the steps, at least one", () => {
    expect(defaultLastSteps(15)).toBe(3);
    expect(defaultLastSteps(2)).toBe(1);
    expect(defaultLastSteps(100)).toBe(25);
  });

  test("every eval gets the same corpus, template, limit and mask seed; base evaluates the model", () => {
    const [base, run] = [cellsOf(PLAN)[0]!, cellsOf(PLAN)[1]!];
    const paths = { run: "/s/runs/random-span-s1", evalFile: "/s/evals/x.json", log: "/s/logs/x.log" };
    const tail = ["--corpus", "factbook", "--min-words", "20", "--max-words", "60", "--text-field", "text", "--template", "compact", "--limit", "50", "--seed", "0", "--json"];
    expect(evalArgs(PLAN, base, paths)).toEqual(["eval", "--model", "/m", ...tail]);
    expect(evalArgs(PLAN, run, paths)).toEqual(["eval", "/s/runs/random-span-s1", ...tail]);
    const train = trainArgs({ ...PLAN, train: { ...PLAN.train, passages: 4, extra: ["--lr", "1e-5"] } }, run, "/s/runs");
    expect(train.slice(0, 9)).toEqual(["train", "--task", "random-span", "--seed", "1", "--run", "random-span-s1", "--runs-dir", "/s/runs"]);
    expect(train).toContain("--passages");
    expect(train.slice(-3)).toEqual(["--lr", "1e-5", "--json"]);
  });

  test("a task with its own default model keeps it when the study uses the shipped default; an explicit model wins", () => {
    const azr = { name: "azr-s1", method: "azr", seed: 1 };
    const shipped = { ...PLAN, train: { ...PLAN.train, model: join(PROJECT_ROOT, "fixtures/default-model") } };
    expect(trainArgs(shipped, azr, "/s/runs")).not.toContain("--model");
    expect(trainArgs(shipped, { name: "pz-s1", method: "pretrainzero", seed: 1 }, "/s/runs")).toContain("--model");
    expect(trainArgs(PLAN, azr, "/s/runs")).toEqual(expect.arrayContaining(["--model", "/m"]));
  });
});

describe("resume decisions", () => {
  const cell = { name: "pretrainzero-s1", method: "pretrainzero", seed: 1 };
  const seen = (o: Partial<CellObservation>): CellObservation => ({ evaluated: false, runFolder: false, runConfig: false, checkpoints: [], ...o });

  test("a cell with an eval result is finished and skipped", () => {
    expect(decideCell(cell, seen({ evaluated: true, runFolder: true }), 10)).toBe("skip");
    expect(decideCell({ name: "base", method: "base", seed: null }, seen({ evaluated: true }), 10)).toBe("skip");
  });

  test("base is only evaluated", () => expect(decideCell({ name: "base", method: "base", seed: null }, seen({}), 10)).toBe("eval"));

  test("no run folder: train", () => expect(decideCell(cell, seen({}), 10)).toBe("train"));

  test("a run folder without a checkpoint, or without config.json, restarts", () => {
    expect(decideCell(cell, seen({ runFolder: true, runConfig: true }), 10)).toBe("restart");
    expect(decideCell(cell, seen({ runFolder: true, checkpoints: [5] }), 10)).toBe("restart");
  });

  test("checkpoints short of the last step resume; a checkpoint at the last step goes straight to eval", () => {
    expect(decideCell(cell, seen({ runFolder: true, runConfig: true, checkpoints: [5] }), 10)).toBe("resume");
    expect(decideCell(cell, seen({ runFolder: true, runConfig: true, checkpoints: [5, 10] }), 10)).toBe("eval");
  });
});
