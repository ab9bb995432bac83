// `bun run report RUN [RUN...]`: one self-contained report.html with charts over steps, the runs overlaid.

import * as fs from "node:fs";
import * as path from "node:path";
import { renderReport, reportData } from "../report/html.ts";
import { loadRun, uniqueLabels } from "../report/metrics.ts";
import { defineCommand, InputError } from "./args.ts";

export const reportCommand = defineCommand(
  {
    name: "report",
    summary: "Write one self-contained HTML report (no network needed) with charts over steps for one or several runs, overlaid.",
    usage: "bun run report [flags] <RUN> [RUN...]",
    positionals: [{ name: "RUN", help: "a run folder (runs/<name>, or just <name>), or its metrics.jsonl", required: true, variadic: true }],
    flags: [
      { name: "out", type: "path", short: "o", default: "report.html", help: "where to write the report (overwritten)" },
      { name: "title", type: "string", help: "report title (default: the run names)" },
      { name: "runs-dir", type: "path", default: "runs", help: "folder that holds run folders (for RUN given as a name)" },
      {
        name: "strict",
        type: "boolean",
        default: false,
        help: "refuse (exit 2) a run whose metrics.jsonl misses a step or has one twice, instead of warning and charting each step once",
      },
    ],
    examples: ["bun run report runs/demo", "bun run report minmax plain random --out compare.html"],
  },
  async (args) => {
    const runs = args.positionals.map((p) => loadRun(p, args.flags["runs-dir"] as string));
    uniqueLabels(runs);
    const gapped = runs.filter((r) => r.stepProblems !== null);
    if (args.flags.strict && gapped.length) {
      throw new InputError(
        `${gapped.map((r) => `run ${r.label} (${r.dir}): ${r.stepProblems}`).join("; ")} in metrics.jsonl (--strict); accepted: every step from 0 on, once each`,
      );
    }
    const data = reportData(runs, args.flags.title as string | undefined);
    const html = renderReport(data);
    const out = args.flags.out as string;
    try {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, html);
    } catch (e) {
      throw Object.assign(new Error(`cannot write ${out}: ${(e as Error).message}`), { exitCode: 2 });
    }
    const drawn = data.charts.filter((c) => c.series.length > 0);
    const absent = data.charts.filter((c) => c.series.length === 0 && c.section === "main").map((c) => c.title);
    for (const r of runs) for (const w of r.warnings) console.error(`warning: run ${r.label}: ${w}`);
    console.log(`wrote ${out} (${(html.length / 1024).toFixed(0)} KiB): ${runs.length} run(s), ${drawn.length} charts${absent.length ? `; not recorded: ${absent.join(", ")}` : ""}`);
    if (args.json) {
      console.log(JSON.stringify({ out: path.resolve(out), runs: runs.map((r) => ({ label: r.label, dir: r.dir, steps: r.rows.length, missingSteps: r.coverage.missing, duplicatedSteps: r.coverage.duplicated })), charts: drawn.map((c) => c.id), notRecorded: absent, ok: true }));
    }
    return 0;
  },
);
