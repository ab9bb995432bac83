// The study's tables as markdown (summary.md, and the same text on stdout). Pure.

import { BASE, type StudyPlan } from "./plan.ts";
import type { CellMetrics, PairDifference } from "./summarize.ts";
import { excludesZero, type BootstrapOptions, type CiKind, type Interval } from "./stats.ts";

/** Metrics shown by default (those that some cell has): the held-out eval first, then training signals. */
export const HEADLINE_METRICS = [
  "eval.maskAccuracy",
  "eval.nll",
  "predAcc",
  "genReward",
  "zeroVarFrac",
  "genZeroVarFrac",
  "spanWords",
  "invalidFrac",
  "probe.probeSolveRate",
] as const;

/** Metrics whose pairwise differences the markdown lists. */
export const DIFF_METRICS = ["eval.maskAccuracy", "eval.nll"] as const;

/** A number in 4 decimals (1 from 100 on, exponent notation when tiny or huge); `scale` picks the format, so an interval's numbers share one. */
export function num(x: number, scale = x): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(scale);
  if (x !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return x.toFixed(a >= 100 ? 1 : 4);
}

const signed = (x: number): string => (x > 0 ? `+${num(x)}` : num(x));

/** "mean ± half-width [lo, hi]"; "mean (n=1)" when undefined; "mean (exact)" for a deterministic value. */
export function formatInterval(iv: Interval | undefined): string {
  if (!iv) return "—";
  if (iv.method === "exact") return `${num(iv.mean)} (exact)`;
  if (iv.lo === null || iv.hi === null || iv.halfWidth === null) return `${num(iv.mean)} (n=${iv.n})`;
  const scale = Math.max(Math.abs(iv.mean), Math.abs(iv.lo), Math.abs(iv.hi));
  return `${num(iv.mean, scale)} ± ${num(iv.halfWidth, scale)} [${num(iv.lo, scale)}, ${num(iv.hi, scale)}]`;
}

/** "A − B: diff [lo, hi]", with " *" when the interval excludes 0. */
export function formatDifference(d: PairDifference): string {
  const iv = d.diff;
  const range = iv.lo === null || iv.hi === null ? "(n=1: no interval)" : `[${signed(iv.lo)}, ${signed(iv.hi)}]`;
  const how = iv.method === "n=1" ? "" : ` (${iv.method}, n=${iv.n})`;
  // Equal values at every seed (common with a small eval set's discrete accuracy): the t interval collapses.
  const flat = iv.halfWidth === 0 ? " (no spread across seeds)" : "";
  return `${d.a} − ${d.b}: ${signed(iv.mean)} ${range}${how}${flat}${excludesZero(iv) ? " *" : ""}`;
}

export function describeCi(ci: CiKind, b: BootstrapOptions): string {
  return ci === "t"
    ? "95% intervals: Student t over seeds, mean ± t(0.975, n−1)·s/√n"
    : `95% intervals: percentile bootstrap over seeds (${b.samples} resamples, seed ${b.seed})`;
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

export interface MarkdownInput {
  out: string;
  plan: StudyPlan;
  ci: CiKind;
  bootstrap: BootstrapOptions;
  lastK: number;
  metrics: readonly string[];
  stats: Record<string, Record<string, Interval>>;
  cells: readonly CellMetrics[];
  differences: readonly PairDifference[];
  failed: readonly { cell: string; error: string }[];
  missing: readonly string[];
  wallS: number;
  cellWall: readonly { cell: string; action: string; wallS: number; trainS: number | null; evalS: number | null }[];
}

export function summaryMarkdown(s: MarkdownInput): string {
  const p = s.plan;
  const lines: string[] = [`# Study ${s.out}`, ""];
  lines.push(
    `Methods ${p.methods.join(", ")}; seeds ${p.seeds.join(", ")}; model ${p.train.model}; ${p.train.steps} steps; passages ${p.train.passages ?? "task default"}; corpus ${p.train.corpus} (${p.train.minWords}-${p.train.maxWords} words); template ${p.train.template}${p.train.extra.length ? `; train flags ${p.train.extra.join(" ")}` : ""}.`,
    `Eval: ${p.eval.limit} held-out passages, mask seed ${p.eval.seed}, the same for every cell. Training metrics: mean over the last ${s.lastK} step(s) of each run.`,
    `${describeCi(s.ci, s.bootstrap)}. Base is evaluated once: greedy decoding of a fixed model on a fixed mask set is deterministic, so its value is exact (zero width).`,
    "",
  );
  lines.push("## Methods", "");
  const rows = p.methods.map((m) => {
    const n = s.cells.filter((c) => c.method === m).length;
    return [m, m === BASE ? "1 (exact)" : String(n), ...s.metrics.map((k) => formatInterval(s.stats[m]?.[k]))];
  });
  lines.push(...table(["method", "n", ...s.metrics], rows), "");
  for (const metric of DIFF_METRICS) {
    const ds = s.differences.filter((d) => d.metric === metric);
    if (ds.length === 0) continue;
    lines.push(`## Differences: ${metric}`, "", "Paired by seed (same seed, same eval set) where both methods have the same seeds, else Welch; * = the 95% interval excludes 0.", "");
    lines.push(...ds.map((d) => `- ${formatDifference(d)}`), "");
  }
  lines.push("## Cells", "");
  lines.push(
    ...table(
      ["cell", "this run", "wall s", "train s", "eval s"],
      s.cellWall.map((c) => [c.cell, c.action, c.action === "skip" ? "—" : c.wallS.toFixed(1), c.trainS === null ? "—" : c.trainS.toFixed(1), c.evalS === null ? "—" : c.evalS.toFixed(1)]),
    ),
    "",
    `Study wall time (this invocation): ${s.wallS.toFixed(1)} s. Train/eval seconds are those of the invocation that finished each cell.`,
  );
  if (s.failed.length) lines.push("", "## Failed", "", ...s.failed.map((f) => `- ${f.cell}: ${f.error}`));
  if (s.missing.length) lines.push("", `Not in the statistics (not finished): ${s.missing.join(", ")}.`);
  return `${lines.join("\n")}\n`;
}
