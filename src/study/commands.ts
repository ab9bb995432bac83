// The subcommands a study runs for a cell, as argument lists after `bun src/cli/main.ts` (pure).
// Every eval gets the corpus flags explicitly, so the base model and every run are scored on the
// same held-out passages with the same masks (eval's own base default uses other passage lengths).
// The held-out share is train's default for every run and for the base (train has no flag for it).

import type { CellPaths } from "./cell-state.ts";
import { BASE, type Cell, type StudyPlan } from "./plan.ts";

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
    "--model", t.model,
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
