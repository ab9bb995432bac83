// Run folders as the report reads them: runs/<name>/config.json and metrics.jsonl (one JSON object
// per step). Fields vary between backends and versions, so every numeric field is kept as found.

import * as fs from "node:fs";
import * as path from "node:path";
import { findRunDir, runsDirNote } from "../inspector/open.ts";
import { describeStepProblems, stepCoverage, type StepCoverage } from "../protocol/log.ts";

export interface RunMetrics {
  /** Unique label in the report (the folder name, with its parent when two runs share a name). */
  label: string;
  dir: string;
  command: string | null;
  /** The resolved run configuration, as written in config.json. */
  config: Record<string, unknown>;
  /** Numeric fields of each step, by field name; `step` always present. */
  rows: { step: number; values: Record<string, number> }[];
  /** Numeric field names in first-seen order. */
  fields: string[];
  warnings: string[];
  /** Which steps metrics.jsonl covers, with any missing or twice-written step (see stepCoverage). */
  coverage: StepCoverage;
  /** One line naming the missing / duplicated steps, or null when every step is there once. */
  stepProblems: string | null;
}

const inputError = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });

/** Parses metrics.jsonl text. A torn last line (a crash mid-append) is dropped with a warning; a bad line elsewhere is an error. */
export function parseMetrics(text: string, where: string): Pick<RunMetrics, "rows" | "fields" | "warnings"> {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const rows: RunMetrics["rows"] = [];
  const fields: string[] = [];
  const seen = new Set<string>();
  const warnings: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1 && !text.endsWith("\n")) {
        warnings.push(`${where}: ignored a partial last line (the run was interrupted while writing it)`);
        return;
      }
      throw inputError(`${where} line ${i + 1} is not JSON (${(e as Error).message.replace(/\s+/g, " ")}); accepted: one JSON object per step`);
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw inputError(`${where} line ${i + 1} is not a JSON object; accepted: one JSON object per step`);
    const o = obj as Record<string, unknown>;
    const step = typeof o.step === "number" && Number.isFinite(o.step) ? o.step : rows.length;
    const values: Record<string, number> = {};
    // Wall-clock fields live under `wall` (so reruns compare equal without them); chart them as plain fields.
    const wall = typeof o.wall === "object" && o.wall !== null && !Array.isArray(o.wall) ? (o.wall as Record<string, unknown>) : {};
    for (const [k, v] of [...Object.entries(o), ...Object.entries(wall)]) {
      if (k === "step" || typeof v !== "number" || !Number.isFinite(v)) continue;
      values[k] = v;
      if (!seen.has(k)) {
        seen.add(k);
        fields.push(k);
      }
    }
    rows.push({ step, values });
  });
  return { rows, fields, warnings };
}

/**
 * Loads RUN: a run folder, a run name under runsDir, or a metrics.jsonl file.
 *
 * Missing or twice-written steps (a bug, a hand edit, two files concatenated) are not an error
 * here: the run is still worth looking at, most of all when something went wrong. They become a
 * warning naming the steps; the charts show a gap at a missing step and the last row written for a
 * duplicated one, so every step is drawn once, in order. `report --strict` refuses such runs.
 */
export function loadRun(arg: string, runsDir = "runs"): RunMetrics {
  let dir: string | null;
  let metricsPath: string;
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) {
    metricsPath = path.resolve(arg);
    dir = path.dirname(metricsPath);
  } else {
    dir = findRunDir(arg, runsDir);
    if (dir === null) {
      throw inputError(
        `run not found: ${arg} (looked for ${arg} and ${path.join(runsDir, arg)}${runsDirNote(runsDir)}); accepted: a run folder holding metrics.jsonl, its name under --runs-dir, or a metrics.jsonl file`,
      );
    }
    metricsPath = path.join(dir, "metrics.jsonl");
  }
  let text: string;
  try {
    text = fs.readFileSync(metricsPath, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "has no metrics.jsonl" : `cannot read ${metricsPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    throw inputError(`run ${dir} ${why}; accepted: a run folder written by simulate or train, or a metrics.jsonl file`);
  }
  const parsed = parseMetrics(text, metricsPath);
  let command: string | null = null;
  let config: Record<string, unknown> = {};
  const cfgPath = path.join(dir, "config.json");
  if (fs.existsSync(cfgPath)) {
    let meta: unknown;
    try {
      meta = JSON.parse(fs.readFileSync(cfgPath, "utf8"));
    } catch (e) {
      throw inputError(`${cfgPath} is not valid JSON (${(e as Error).message.replace(/\s+/g, " ")}); accepted: the config.json that train or simulate wrote (or pass the run's metrics.jsonl alone)`);
    }
    if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
      throw inputError(`${cfgPath} is not a JSON object; accepted: the config.json that train or simulate wrote (or pass the run's metrics.jsonl alone)`);
    }
    const m = meta as Record<string, unknown>;
    command = typeof m.command === "string" ? m.command : null;
    if (typeof m.config === "object" && m.config !== null) config = m.config as Record<string, unknown>;
  }
  const coverage = stepCoverage(parsed.rows.map((r) => ({ step: r.step })));
  mergeByStep(parsed, path.join(dir, "probe.jsonl"), "probe");
  mergeByStep(parsed, path.join(dir, "eval.jsonl"), "eval");
  mergeByStep(parsed, path.join(dir, "eval-curve.jsonl"), "curve");
  const stepProblems = describeStepProblems(coverage);
  if (stepProblems) {
    parsed.warnings.push(`${metricsPath}: ${stepProblems}; charted with a gap at each missing step and the last row of each step written twice`);
    parsed.rows = lastRowPerStep(parsed.rows);
  }
  if (parsed.rows.length === 0) parsed.warnings.push(`${metricsPath}: no steps recorded yet`);
  return { label: path.basename(dir), dir, command, config, ...parsed, coverage, stepProblems };
}

/**
 * Per-checkpoint rows joined to the metrics by step, their fields named `prefix`…: the difficulty
 * probe's (RUN/probe.jsonl, `bun run probe`) and the held-out metrics (RUN/eval.jsonl,
 * `train --eval-every`) and the checkpoints' eval curve (RUN/eval-curve.jsonl, `eval --all-checkpoints`).
 * Step N is the policy after N updates, the one that sampled row N.
 */
function mergeByStep(parsed: Pick<RunMetrics, "rows" | "fields" | "warnings">, sidePath: string, prefix: string): void {
  if (!fs.existsSync(sidePath)) return;
  const side = parseMetrics(fs.readFileSync(sidePath, "utf8"), sidePath);
  parsed.warnings.push(...side.warnings);
  const byStep = new Map(parsed.rows.map((r) => [r.step, r]));
  for (const row of side.rows) {
    const values = Object.fromEntries(Object.entries(row.values).filter(([k]) => k.startsWith(prefix)));
    if (Object.keys(values).length === 0) continue;
    const target = byStep.get(row.step);
    if (target) Object.assign(target.values, values);
    else {
      const added = { step: row.step, values };
      parsed.rows.push(added);
      byStep.set(row.step, added);
    }
    for (const k of Object.keys(values)) if (!parsed.fields.includes(k)) parsed.fields.push(k);
  }
  parsed.rows.sort((a, b) => a.step - b.step);
}

/** One row per step, in step order: the last row written for a step wins. */
export function lastRowPerStep(rows: RunMetrics["rows"]): RunMetrics["rows"] {
  const by = new Map<number, RunMetrics["rows"][number]>();
  for (const r of rows) by.set(r.step, r);
  return [...by.values()].sort((a, b) => a.step - b.step);
}

/** Gives runs that share a folder name distinct labels (parent/name, then a counter). */
export function uniqueLabels(runs: RunMetrics[]): void {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  for (const r of runs) if (counts.get(r.label)! > 1) r.label = `${path.basename(path.dirname(r.dir))}/${r.label}`;
  const used = new Map<string, number>();
  for (const r of runs) {
    const n = (used.get(r.label) ?? 0) + 1;
    used.set(r.label, n);
    if (n > 1) r.label = `${r.label} (${n})`;
  }
}
