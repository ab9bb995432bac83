// The report as one self-contained HTML file: uPlot's JS and CSS, the data and the page script are
// inlined, so it opens from disk with no network. Nothing time-dependent is written: the same runs
// give the same bytes.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { inlineSafe } from "../inspector/page.ts";
import { buildCharts, type ChartData } from "./charts.ts";
import type { RunMetrics } from "./metrics.ts";

const require = createRequire(import.meta.url);

/** uPlot's browser build and stylesheet, from node_modules. */
function uplotAssets(): { js: string; css: string } {
  const pkg = require.resolve("uplot/package.json");
  const dist = pkg.replace(/package\.json$/, "dist/");
  return { js: readFileSync(`${dist}uPlot.iife.min.js`, "utf8"), css: readFileSync(`${dist}uPlot.min.css`, "utf8") };
}

const page = (name: string): string => readFileSync(new URL(`./page/${name}`, import.meta.url), "utf8");

export interface ReportRun {
  label: string;
  dir: string;
  command: string | null;
  steps: number;
  config: Record<string, unknown>;
  last: Record<string, number>;
  warnings: string[];
}

export interface ReportData {
  title: string;
  runs: ReportRun[];
  charts: ChartData[];
}

export function reportData(runs: readonly RunMetrics[], title?: string): ReportData {
  return {
    title: title ?? `Run report: ${runs.map((r) => r.label).join(", ")}`,
    runs: runs.map((r) => ({
      label: r.label,
      dir: r.dir,
      command: r.command,
      steps: r.rows.length,
      config: r.config,
      last: r.rows.at(-1)?.values ?? {},
      warnings: r.warnings,
    })),
    charts: buildCharts(runs),
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON inside <script type="application/json">: only "</" and the line separators need escaping. */
function scriptJson(data: unknown): string {
  return JSON.stringify(data).replace(/<\//g, "<\\/").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export function renderReport(data: ReportData): string {
  const uplot = uplotAssets();
  const parts: Record<string, string> = {
    TITLE: escapeHtml(data.title),
    UPLOT_CSS: inlineSafe(uplot.css, "style"),
    CSS: inlineSafe(page("report.css"), "style"),
    DATA: scriptJson(data),
    UPLOT_JS: inlineSafe(uplot.js, "script"),
    JS: inlineSafe(page("report.js"), "script"),
  };
  // One pass, so that inserted text (run names, configs) is never scanned for placeholders.
  return page("report.html").replace(/\/\*__([A-Z_]+)__\*\//g, (m, name: string) => parts[name] ?? m);
}
