// `bun run study`: methods × seeds on one corpus, model and budget; every run evaluated on the same
// held-out set; mean ± 95% interval per method and paired differences (docs/study.md).

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { cellPaths } from "../study/cell-state.ts";
import { reportArgs } from "../study/commands.ts";
import { executeCells, formatElapsed, MAIN, shownPath } from "../study/execute.ts";
import { DIFF_METRICS, describeCi, HEADLINE_METRICS, summaryMarkdown } from "../study/format.ts";
import { cellsOf, checkExtraTrainFlags, DEFAULT_METHODS, defaultLastSteps, parseMethods, parseSeeds, planDifference, type StudyFile, type StudyPlan } from "../study/plan.ts";
import { metricNames, methodStats, pairwise, readCellMetrics, type CellMetrics } from "../study/summarize.ts";
import type { CiKind } from "../study/stats.ts";
import { TASK_NAMES } from "../tasks/registry.ts";
import { TEMPLATE_NAMES } from "../tasks/pretrainzero/prompts.ts";
import { bool, defineCommand, InputError, int, optInt, optStr, str, type ParsedArgs } from "./args.ts";
import { CORPUS_FLAGS, MODEL_FLAGS, pickFlags, readCorpus, readModel, withDefaults } from "./flags/index.ts";
import { parseArgs } from "./args.ts";
import { resolveRunConfig } from "./run-config.ts";
import { trainCommand } from "./train.ts";

const DEFAULT_JOBS = Math.max(1, Math.floor(availableParallelism() / 2));

/** --quick: a budget CI runs in a couple of minutes on 2 cores. Flags given explicitly still win. */
const QUICK = { methods: "base,random-span,pretrainzero", seeds: "2", steps: 2, passages: 2, "eval-limit": 10, jobs: 2 } as const;

function pick<T>(args: ParsedArgs, name: keyof typeof QUICK, value: T): T {
  return bool(args, "quick") && !args.given.has(name) ? (QUICK[name] as T) : value;
}

/** A path as the plan stores it: absolute when it exists here (so a rerun from elsewhere means the same files). */
function planPath(p: string): string {
  return existsSync(p) ? resolve(p) : p;
}

function buildPlan(args: ParsedArgs): StudyPlan {
  const corpus = readCorpus(args);
  const extra = args.positionals;
  checkExtraTrainFlags(extra);
  // Parsed as train would, so a typo fails here, before the folder records a plan no cell can run.
  const parsed = parseArgs(trainCommand.spec, extra);
  if (parsed !== "help") resolveRunConfig(parsed, "model");
  const passages = pick(args, "passages", optInt(args, "passages") ?? null);
  return {
    methods: parseMethods(pick(args, "methods", str(args, "methods")), TASK_NAMES),
    seeds: parseSeeds(pick(args, "seeds", str(args, "seeds"))),
    train: {
      model: planPath(readModel(args).dir),
      steps: pick(args, "steps", int(args, "steps")),
      passages,
      corpus: corpus.path === "factbook" ? corpus.path : planPath(corpus.path),
      minWords: corpus.minWords,
      maxWords: corpus.maxWords,
      textField: corpus.textField,
      template: str(args, "template"),
      extra,
    },
    eval: { limit: pick(args, "eval-limit", int(args, "eval-limit")), seed: int(args, "eval-seed") },
  };
}

/** Writes study.json for a new folder; refuses a folder whose study.json holds another plan. */
function claimFolder(out: string, plan: StudyPlan, command: string): void {
  const file = join(out, "study.json");
  if (existsSync(file)) {
    let saved: StudyFile;
    try {
      saved = JSON.parse(readFileSync(file, "utf8")) as StudyFile;
    } catch (e) {
      throw new InputError(`${file} is not valid JSON (${(e as Error).message}); accepted: a study folder written by bun run study, or a new folder`);
    }
    const diff = saved.plan ? planDifference(saved.plan, plan) : "no plan in study.json";
    if (diff) throw new InputError(`study folder ${out} holds another plan (${diff}); accepted: the same flags as its study.json, or another --out`);
    return;
  }
  mkdirSync(out, { recursive: true });
  const body: StudyFile = { plan, command, created: new Date().toISOString() };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export const studyCommand = defineCommand(
  {
    name: "study",
    summary: "Compare self-play methods honestly: train each method for several seeds on one corpus, model and budget, evaluate every run on the same held-out set, and report mean ± 95% interval per method and paired differences.",
    usage: "bun run study --out DIR [flags] [-- <train flags for every run>]",
    positionals: [{ name: "TRAIN_FLAGS", help: "after --: train flags for every run (e.g. -- --lr 3e-5 --gen-samples 4)", variadic: true }],
    flags: [
      { name: "out", type: "path", short: "o", required: true, help: "the study folder: study.json, runs/<method>-s<seed>, evals/, logs/, summary.json, summary.md, report.html" },
      { name: "methods", type: "string", default: DEFAULT_METHODS.join(","), help: `comma-separated: base (the untrained model, evaluated only) and task names (${TASK_NAMES.join(", ")})` },
      { name: "seeds", type: "string", default: "3", help: "a count N (seeds 1..N) or a list of seeds, e.g. 1,2,3" },
      { name: "jobs", type: "int", short: "j", min: 1, default: DEFAULT_JOBS, help: "cells run at once (default: half the cores, at least 1)" },
      ...MODEL_FLAGS,
      { name: "steps", type: "int", min: 1, default: 15, help: "GRPO steps of every run" },
      { name: "passages", type: "int", min: 1, defaultNote: "each task's", help: "paragraphs per step of every run" },
      // A model run's passage lengths (src/cli/run-config.ts), for training and eval alike. Not
      // --held-out: train does not take it, so every run and the base keep the default split.
      ...withDefaults(pickFlags(CORPUS_FLAGS, "corpus", "min-words", "max-words", "text-field"), { "min-words": 20, "max-words": 60 }),
      { name: "template", type: "enum", values: TEMPLATE_NAMES, default: "compact", help: "prompt templates, for training and eval" },
      { name: "eval-limit", type: "int", min: 1, default: 200, help: "held-out passages every cell is evaluated on" },
      { name: "eval-seed", type: "int", min: 0, default: 0, help: "seed of the eval mask set (one set for every cell)" },
      { name: "ci", type: "enum", values: ["t", "bootstrap"], default: "t", help: "95% interval over seeds: Student t, or a seeded percentile bootstrap" },
      { name: "bootstrap-samples", type: "int", min: 100, default: 10000, help: "resamples of --ci bootstrap" },
      { name: "last", type: "int", min: 1, defaultNote: "a quarter of --steps, at least 1", help: "training metrics: mean over this many last steps of each run" },
      { name: "metrics", type: "string", defaultNote: HEADLINE_METRICS.join(","), help: "table columns: metric names as in summary.json (eval.<field>, <metrics.jsonl field>, probe.<field>)" },
      { name: "quick", type: "boolean", default: false, help: `a tiny budget for CI: ${Object.entries(QUICK).map(([k, v]) => `--${k} ${v}`).join(" ")} (flags given explicitly win)` },
    ],
    examples: [
      "bun run study --out studies/baselines                      # base, random-span, next-token, entropy, pretrainzero × seeds 1-3",
      "bun run study --out studies/pz --methods base,pretrainzero --seeds 1,2,3,4,5 --steps 30 --jobs 2",
      "bun run study --out studies/lr --methods random-span,pretrainzero --seeds 3 -- --lr 3e-5",
      "bun run study --quick --out /tmp/study-ci                  # about a minute on 2 cores",
      "bun run study --out studies/baselines --ci bootstrap       # rerun: finished cells are skipped; new tables",
    ],
  },
  async (args) => {
    const t0 = performance.now();
    const out = resolve(str(args, "out"));
    const plan = buildPlan(args);
    const jobs = pick(args, "jobs", int(args, "jobs"));
    const ci = str(args, "ci") as CiKind;
    const bootstrap = { samples: int(args, "bootstrap-samples"), seed: 0 };
    const lastK = optInt(args, "last") ?? defaultLastSteps(plan.train.steps);
    const wanted = optStr(args, "metrics")?.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (wanted?.length === 0) throw new InputError(`--metrics is empty; accepted: comma-separated metric names, e.g. ${HEADLINE_METRICS.slice(0, 3).join(",")}`);
    const command = `bun run study ${process.argv.slice(3).join(" ")}`.trim();
    claimFolder(out, plan, command);

    const say = (line: string): void => void process.stderr.write(`${line}\n`);
    const cells = cellsOf(plan);
    say(`[study] ${out}: ${cells.length} cells (${plan.methods.join(", ")} × seeds ${plan.seeds.join(",")}), ${plan.train.steps} steps, ${jobs} at a time; logs in ${shownPath(join(out, "logs"))}`);
    const outcomes = await executeCells(plan, out, cells, { jobs, say });

    const finished: CellMetrics[] = [];
    for (const c of cells) {
      const m = readCellMetrics(out, c, lastK);
      if (m) finished.push(m);
    }
    const all = metricNames(finished);
    const shown = wanted ?? HEADLINE_METRICS.filter((m) => all.includes(m));
    const unknown = shown.filter((m) => !all.includes(m));
    if (unknown.length) say(`warning: no cell has ${unknown.join(", ")}; metrics recorded: ${all.join(", ")}`);
    const o = { ci, bootstrap };
    const stats = methodStats(plan.methods, finished, o);
    const differences = pairwise(plan.methods, finished, all, o);
    const failed = outcomes.filter((x) => !x.ok).map((x) => ({ cell: x.cell.name, error: x.error ?? "failed" }));
    const missing = cells.filter((c) => !finished.some((f) => f.cell === c.name)).map((c) => c.name);
    const wallS = Math.round((performance.now() - t0) / 10) / 100;
    const cellWall = outcomes.map((x) => {
      const f = finished.find((m) => m.cell === x.cell.name);
      return { cell: x.cell.name, action: x.action, ok: x.ok, wallS: x.wallS, trainS: f?.trainS ?? null, evalS: f?.evalS ?? null };
    });

    const md = summaryMarkdown({ out: shownPath(out), plan, ci, bootstrap, lastK, metrics: shown, stats, cells: finished, differences, failed, missing, wallS, cellWall });
    const summary = {
      out,
      plan,
      ci: { kind: ci, confidence: 0.95, description: describeCi(ci, bootstrap), ...(ci === "bootstrap" ? { bootstrap } : {}) },
      lastSteps: lastK,
      headline: shown,
      wallS,
      cellsWallS: Math.round(finished.reduce((s, c) => s + (c.trainS ?? 0) + c.evalS, 0) * 100) / 100,
      cellRuns: cellWall,
      cells: finished,
      methods: stats,
      differences,
      failed,
      missing,
    };
    writeAtomic(join(out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    writeAtomic(join(out, "summary.md"), md);

    const runs = finished.filter((c) => c.seed !== null).map((c) => cellPaths(out, { name: c.cell, method: c.method, seed: c.seed }).run);
    let reportOk = true;
    if (runs.length) {
      const p = Bun.spawnSync([process.execPath, MAIN, ...reportArgs(runs, join(out, "report.html"), `study ${shownPath(out)}`)], { stdout: "pipe", stderr: "pipe" });
      if (p.exitCode !== 0) {
        reportOk = false;
        say(`warning: report failed (exit ${p.exitCode}): ${p.stderr.toString().trim().split("\n").at(-1)}`);
      }
    }
    process.stdout.write(md);
    say(`[study] wrote ${join(out, "summary.json")}, summary.md${runs.length && reportOk ? ", report.html" : ""} in ${formatElapsed(wallS)}${failed.length ? `; ${failed.length} cell(s) failed: ${failed.map((f) => f.cell).join(", ")}` : ""}`);
    if (args.json) console.log(JSON.stringify({ ok: failed.length === 0, out, wallS, failed, missing, differences: differences.filter((d) => (DIFF_METRICS as readonly string[]).includes(d.metric)) }));
    return failed.length ? 1 : 0;
  },
);
