// The subcommands a study runs for a cell, as argument lists after `bun src/cli/main.ts` (pure).
// Every eval gets the corpus flags explicitly, so the base model and every run are scored on the
// same held-out passages with the same masks (eval's own base default uses other passage lengths).
// The held-out share is train's default for every run and for the base (train has no flag for it).

import type { CellPaths } from "./cell-state.ts";
import { BASE, type Cell, type StudyPlan } from "./plan.ts";
import { resolve } from "node:path";
import { DEFAULT_RUN_CONFIG } from "../runtime/config.ts";
import { PROJECT_ROOT } from "../runtime/paths.ts";
import { taskNamed } from "../tasks/registry.ts";

/**
 * --model for a cell's run: the study's model, except that a task shipping its own default model
 * (Absolute Zero: fixtures/python-model) keeps it when the study's is the shipped default.
 */
function modelArgs(model: string, method: string): string[] {
  const own = taskNamed(method).runDefaults?.modelDir;
  const isDefault = resolve(model) === resolve(PROJECT_ROOT, DEFAULT_RUN_CONFIG.model.dir);
  return own && isDefault ? [] : ["--model", model];
}

function corpusFlags(plan: StudyPlan): string[] {
  const t = plan.train;
  return ["--corpus", t.corpus, "--min-words", String(t.minWords), "--max-words", String(t.maxWords), "--text-field", t.textField];
}

export function trainArgs(plan: StudyPlan, cell: Cell, runsDir: string): string[] {
  const t = plan.train;
  return [
    "train",
    "--task", cell.method,
    "--seed", String(cell.seed),
    "--run", cell.name,
    "--runs-dir", runsDir,
    ...modelArgs(t.model, cell.method),
    "--steps", String(t.steps),
    ...(t.passages === null ? [] : ["--passages", String(t.passages)]),
    ...corpusFlags(plan),
    "--template", t.template,
    ...t.extra,
    "--json",
  ];
}

/** Continues a run folder; its config.json holds every setting. */
export function resumeArgs(p: CellPaths): string[] {
  return ["train", "--resume", p.run, "--json"];
}

export function evalArgs(plan: StudyPlan, cell: Cell, p: CellPaths): string[] {
  const subject = cell.method === BASE ? ["--model", plan.train.model] : [p.run];
  return ["eval", ...subject, ...corpusFlags(plan), "--template", plan.train.template, "--limit", String(plan.eval.limit), "--seed", String(plan.eval.seed), "--json"];
}

export function reportArgs(runs: readonly string[], out: string, title: string): string[] {
  return ["report", ...runs, "--out", out, "--title", title];
}
