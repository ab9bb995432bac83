// Run folders as the report reads them: runs/<name>/config.json and metrics.jsonl (one JSON object
// per step). Fields vary between backends and versions, so every numeric field is kept as found.

import * as fs from "node:fs";
import * as path from "node:path";
import { findRunDir } from "../inspector/open.ts";

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

/** Loads RUN: a run folder, a run name under runsDir, or a metrics.jsonl file. */
export function loadRun(arg: string, runsDir = "runs"): RunMetrics {
  let dir: string | null;
  let metricsPath: string;
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) {
    metricsPath = path.resolve(arg);
    dir = path.dirname(metricsPath);
  } else {
    dir = findRunDir(arg, runsDir);
    if (dir === null) {
      throw inputError(`run not found: ${arg} (looked for ${arg} and ${path.join(runsDir, arg)}); accepted: a run folder holding metrics.jsonl, its name under --runs-dir, or a metrics.jsonl file`);
    }
    metricsPath = path.join(dir, "metrics.jsonl");
  }
  let text: string;
  try {
    text = fs.readFileSync(metricsPath, "utf8");
  } catch {
    throw inputError(`${dir} has no readable metrics.jsonl; accepted: a run folder written by simulate or train`);
  }
  const parsed = parseMetrics(text, metricsPath);
  let command: string | null = null;
  let config: Record<string, unknown> = {};
  const cfgPath = path.join(dir, "config.json");
  if (fs.existsSync(cfgPath)) {
    try {
      const meta = JSON.parse(fs.readFileSync(cfgPath, "utf8")) as Record<string, unknown>;
      command = typeof meta.command === "string" ? meta.command : null;
      if (typeof meta.config === "object" && meta.config !== null) config = meta.config as Record<string, unknown>;
    } catch (e) {
      parsed.warnings.push(`${cfgPath}: unreadable (${(e as Error).message.replace(/\s+/g, " ")})`);
    }
  }
  if (parsed.rows.length === 0) parsed.warnings.push(`${metricsPath}: no steps recorded yet`);
  return { label: path.basename(dir), dir, command, config, ...parsed };
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
