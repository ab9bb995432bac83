// A study's plan: which methods, which seeds, the shared training budget and the shared eval set.
// It is written to <out>/study.json before anything runs, and a rerun must ask for the same plan
// (so "resume" never mixes runs trained or evaluated differently).

import { InputError } from "../cli/args.ts";

/** The untrained model: evaluated, never trained. */
export const BASE = "base";

export const DEFAULT_METHODS = [BASE, "random-span", "next-token", "entropy", "pretrainzero"] as const;

export interface StudyPlan {
  methods: string[];
  seeds: number[];
  train: {
    model: string;
    steps: number;
    /** null: each task's own default. */
    passages: number | null;
    corpus: string;
    minWords: number;
    maxWords: number;
    textField: string;
    template: string;
    /** Further train flags, passed to every training run as given (after `--`). */
    extra: string[];
  };
  eval: { limit: number; seed: number };
}

/** What study.json holds. */
export interface StudyFile {
  plan: StudyPlan;
  /** The command line that wrote it (informative; only the plan is compared). */
  command: string;
  created: string;
}

/** `--methods a,b,c`: registered task names plus "base", each once. */
export function parseMethods(raw: string, tasks: readonly string[]): string[] {
  const accepted = [BASE, ...tasks];
  const names = raw.split(",").map((s) => s.trim());
  if (names.some((n) => n === "")) throw new InputError(`--methods "${raw}" has an empty name; accepted: a comma-separated list of ${accepted.join(", ")}`);
  for (const n of names) if (!accepted.includes(n)) throw new InputError(`unknown method "${n}" in --methods; accepted: ${accepted.join(", ")}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new InputError(`method "${dup}" is given twice in --methods; accepted: each method once`);
  return names;
}

/** `--seeds N` (seeds 1..N) or `--seeds a,b,c` (those seeds). */
export function parseSeeds(raw: string): number[] {
  const what = `accepted: a count N >= 1 (seeds 1..N) or a comma-separated list of distinct integers >= 0, e.g. 1,2,3`;
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 1000) throw new InputError(`--seeds ${raw}: a count must be between 1 and 1000; ${what}`);
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  const parts = s.split(",").map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p) && Number.isSafeInteger(Number(p)))) throw new InputError(`--seeds "${raw}" is not a count or a list of seeds; ${what}`);
  const seeds = parts.map(Number);
  const dup = seeds.find((x, i) => seeds.indexOf(x) !== i);
  if (dup !== undefined) throw new InputError(`seed ${dup} is given twice in --seeds; ${what}`);
  return seeds;
}

/** Train flags the study sets itself, per cell or from its own flags; refused after `--`. */
export const STUDY_OWNED_TRAIN_FLAGS = [
  "task", "seed", "run", "runs-dir", "resume", "stop-after", "steps", "passages", "model", "corpus", "min-words", "max-words", "text-field", "template", "backend", "record", "config", "json", "help",
] as const;

/** Checks the flags given after `--` (train flags for every run). */
export function checkExtraTrainFlags(extra: readonly string[]): void {
  if (extra.length > 0 && !extra[0]!.startsWith("-")) {
    throw new InputError(`unexpected argument "${extra[0]}"; accepted: train flags after --, e.g. -- --lr 3e-5 --gen-samples 4`);
  }
  for (const a of extra) {
    const m = /^--(?:no-)?([a-z][a-z0-9-]*)/.exec(a);
    if (m && (STUDY_OWNED_TRAIN_FLAGS as readonly string[]).includes(m[1]!)) {
      throw new InputError(`--${m[1]} after -- is set by the study; accepted: the study's own flag (see bun run study --help), or another train flag`);
    }
    if (a === "--checkpoint-every=0" || (a === "--checkpoint-every" && extra[extra.indexOf(a) + 1] === "0")) {
      throw new InputError("--checkpoint-every 0 after -- leaves no checkpoint to evaluate or resume; accepted: a value >= 1, or leave it out");
    }
    if (a === "-h") throw new InputError(`-h after -- is not a train flag for a study; accepted: train flags such as --lr 3e-5`);
  }
}

/** The first difference between two plans, as "what: old → new", or null when they are the same. */
export function planDifference(saved: StudyPlan, wanted: StudyPlan): string | null {
  const flat = (p: StudyPlan): [string, unknown][] => [
    ["methods", p.methods.join(",")],
    ["seeds", p.seeds.join(",")],
    ["model", p.train.model],
    ["steps", p.train.steps],
    ["passages", p.train.passages ?? "task default"],
    ["corpus", p.train.corpus],
    ["min-words", p.train.minWords],
    ["max-words", p.train.maxWords],
    ["text-field", p.train.textField],
    ["template", p.train.template],
    ["train flags after --", p.train.extra.join(" ") || "none"],
    ["eval-limit", p.eval.limit],
    ["eval-seed", p.eval.seed],
  ];
  const a = flat(saved);
  const b = flat(wanted);
  for (let i = 0; i < a.length; i++) {
    if (JSON.stringify(a[i]![1]) !== JSON.stringify(b[i]![1])) return `${a[i]![0]}: ${String(a[i]![1])} → ${String(b[i]![1])}`;
  }
  return null;
}

/** One study cell: a method at a seed (base: one cell, seed null, since its evaluation is deterministic). */
export interface Cell {
  name: string;
  method: string;
  seed: number | null;
}

export function cellsOf(plan: StudyPlan): Cell[] {
  const cells: Cell[] = [];
  for (const m of plan.methods) {
    if (m === BASE) cells.push({ name: BASE, method: BASE, seed: null });
    else for (const s of plan.seeds) cells.push({ name: `${m}-s${s}`, method: m, seed: s });
  }
  return cells;
}

/** The default window of the summary: the last quarter of the steps, at least one. */
export function defaultLastSteps(steps: number): number {
  return Math.max(1, Math.floor(steps / 4));
}
