// A study's numbers: each cell's metrics (read from its files), then per method the mean and 95%
// interval of every metric over seeds, and every pair of methods' difference.
//
// A cell's metrics, by name:
// - `eval.<field>`: every numeric field of its eval result (eval.maskAccuracy, eval.nll, ...);
// - `<field>`: the mean over the last K steps of each numeric metrics.jsonl field (wall-clock
//   fields included, as report charts them);
// - `probe.<field>`: the last row of probe.jsonl, when the run wrote one.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMetrics } from "../report/metrics.ts";
import { cellPaths } from "./cell-state.ts";
import type { EvalRecord } from "./execute.ts";
import { BASE, type Cell, type StudyPlan } from "./plan.ts";
import { difference, meanInterval, type BootstrapOptions, type CiKind, type Interval } from "./stats.ts";

export interface CellMetrics {
  cell: string;
  method: string;
  seed: number | null;
  /** The checkpoint step evaluated (null for base). */
  step: number | null;
  /** metrics.jsonl rows averaged (the last K steps; 0 for base). */
  stepsAveraged: number;
  trainS: number | null;
  evalS: number;
  metrics: Record<string, number>;
}

/** Mean of each numeric field over the last `k` rows (by step; a step written twice counts once, its last row). */
export function lastStepsMean(rows: readonly { step: number; values: Record<string, number> }[], k: number): { values: Record<string, number>; used: number } {
  const byStep = new Map<number, Record<string, number>>();
  for (const r of rows) byStep.set(r.step, r.values);
  const window = [...byStep.keys()].sort((a, b) => a - b).slice(-k).map((s) => byStep.get(s)!);
  const sums = new Map<string, { s: number; n: number }>();
  for (const v of window) {
    for (const [key, x] of Object.entries(v)) {
      const acc = sums.get(key) ?? { s: 0, n: 0 };
      acc.s += x;
      acc.n++;
      sums.set(key, acc);
    }
  }
  return { values: Object.fromEntries([...sums].map(([key, a]) => [key, a.s / a.n])), used: window.length };
}

function numericFields(o: Record<string, unknown>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === "number" && Number.isFinite(v)) out[`${prefix}${k}`] = v;
  return out;
}

/** A finished cell's metrics; undefined when it has no eval result (not finished, or failed). */
export function readCellMetrics(out: string, cell: Cell, lastK: number): CellMetrics | undefined {
  const p = cellPaths(out, cell);
  if (!existsSync(p.evalFile)) return undefined;
  const rec = JSON.parse(readFileSync(p.evalFile, "utf8")) as EvalRecord;
  let metrics: Record<string, number> = {};
  let used = 0;
  if (cell.method !== BASE) {
    const file = join(p.run, "metrics.jsonl");
    if (existsSync(file)) {
      const m = lastStepsMean(parseMetrics(readFileSync(file, "utf8"), file).rows, lastK);
      metrics = m.values;
      used = m.used;
    }
    const probe = join(p.run, "probe.jsonl");
    if (existsSync(probe)) {
      const rows = parseMetrics(readFileSync(probe, "utf8"), probe).rows;
      const last = [...rows].sort((a, b) => a.step - b.step).at(-1);
      if (last) metrics = { ...metrics, ...numericFields(last.values, "probe.") };
    }
  }
  metrics = { ...metrics, ...numericFields(rec.result, "eval.") };
  return { cell: cell.name, method: cell.method, seed: cell.seed, step: rec.step, stepsAveraged: used, trainS: rec.trainS, evalS: rec.evalS, metrics };
}

export interface StatOptions {
  ci: CiKind;
  bootstrap: BootstrapOptions;
}

/** Metric names in first-seen order over the cells. */
export function metricNames(cells: readonly CellMetrics[]): string[] {
  const seen = new Set<string>();
  for (const c of cells) for (const k of Object.keys(c.metrics)) seen.add(k);
  return [...seen];
}

/**
 * Per method, the interval of each metric over its seeds. Base has one deterministic evaluation
 * (greedy decoding of a fixed model on a fixed mask set), so its value is exact: a zero-width
 * interval, method "exact".
 */
export function methodStats(methods: readonly string[], cells: readonly CellMetrics[], o: StatOptions): Record<string, Record<string, Interval>> {
  const out: Record<string, Record<string, Interval>> = {};
  for (const m of methods) {
    const mine = cells.filter((c) => c.method === m);
    const stats: Record<string, Interval> = {};
    for (const name of metricNames(mine)) {
      const xs = mine.map((c) => c.metrics[name]).filter((x): x is number => x !== undefined);
      if (m === BASE) stats[name] = { n: 1, mean: xs[0]!, lo: xs[0]!, hi: xs[0]!, halfWidth: 0, method: "exact" };
      else stats[name] = meanInterval(xs, o.ci, `${m}/${name}`, o.bootstrap);
    }
    out[m] = stats;
  }
  return out;
}

/** A metric's values of one method by seed (base: its one value, under key -1). */
function bySeed(cells: readonly CellMetrics[], method: string, metric: string): Map<number, number> {
  const mine = cells.filter((c) => c.method === method && c.metrics[metric] !== undefined);
  return new Map(mine.map((c) => [c.seed ?? -1, c.metrics[metric]!]));
}

/** Base's one exact value at each seed of the other method: a paired difference is then exact on base's side. */
function asSeeds(base: ReadonlyMap<number, number>, like: ReadonlyMap<number, number>): Map<number, number> {
  const v = [...base.values()][0];
  return v === undefined ? new Map() : new Map([...like.keys()].map((s) => [s, v]));
}

export interface PairDifference {
  a: string;
  b: string;
  metric: string;
  /** A − B. */
  diff: Interval;
}

/**
 * Every pair (later method − earlier method, in the order given) for each metric both have. Seeds
 * pair when both methods finished the same seeds (base pairs with any seeds, being one exact value).
 */
export function pairwise(methods: readonly string[], cells: readonly CellMetrics[], metrics: readonly string[], o: StatOptions): PairDifference[] {
  const out: PairDifference[] = [];
  for (const metric of metrics) {
    for (let i = 0; i < methods.length; i++) {
      for (let j = i + 1; j < methods.length; j++) {
        const [a, b] = [methods[j]!, methods[i]!];
        let va = bySeed(cells, a, metric);
        let vb = bySeed(cells, b, metric);
        if (a === BASE) va = asSeeds(va, vb);
        if (b === BASE) vb = asSeeds(vb, va);
        if (va.size === 0 || vb.size === 0) continue;
        out.push({ a, b, metric, diff: difference(va, vb, o.ci, `${a}-${b}/${metric}`, o.bootstrap) });
      }
    }
  }
  return out;
}
