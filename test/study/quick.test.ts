// The whole study through the package script, at --quick's tiny budget: every cell trains and
// evaluates, the tables and the report are written, and a rerun resumes by skipping every cell.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Five cells of a few seconds each on 2 idle cores; minutes when the cores are shared.
setDefaultTimeout(600_000);

const repo = join(import.meta.dir, "..", "..");
const out = join(mkdtempSync(join(tmpdir(), "spz-study-")), "quick");
afterAll(() => rmSync(join(out, ".."), { recursive: true, force: true }));

function runStudy() {
  const t0 = performance.now();
  const p = Bun.spawnSync(["bun", "run", "study", "--quick", "--out", out], { cwd: repo, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString(), seconds: (performance.now() - t0) / 1000 };
}

const METHODS = ["base", "random-span", "pretrainzero"];
const CELLS = ["base", "random-span-s1", "random-span-s2", "pretrainzero-s1", "pretrainzero-s2"];

test("bun run study --quick trains and evaluates every cell and writes the tables and the report", () => {
  const r = runStudy();
  if (r.code !== 0) console.error(r.err);
  expect(r.code).toBe(0);
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  expect(summary.plan.methods).toEqual(METHODS);
  expect(summary.plan.seeds).toEqual([1, 2]);
  expect(summary.cells.map((c: { cell: string }) => c.cell)).toEqual(CELLS);
  for (const c of summary.cells) {
    expect(Number.isFinite(c.metrics["eval.maskAccuracy"])).toBe(true);
    expect(c.metrics["eval.nll"]).toBeGreaterThan(0);
    if (c.method !== "base") {
      expect(c.step).toBe(2);
      expect(Number.isFinite(c.metrics.predAcc)).toBe(true);
    }
  }
  for (const m of METHODS) expect(Number.isFinite(summary.methods[m]["eval.nll"].mean)).toBe(true);
  expect(summary.methods["pretrainzero"]["eval.nll"].n).toBe(2);
  expect(summary.failed).toEqual([]);
  expect(summary.wallS).toBeGreaterThan(0);

  const md = readFileSync(join(out, "summary.md"), "utf8");
  expect(md).toContain("| method | n | eval.maskAccuracy | eval.nll |");
  expect(md).toMatch(/^\| pretrainzero \| 2 \| \S+ ± \S+ \[\S+, \S+\] \|/m);
  expect(md).toMatch(/^- pretrainzero − base: [+-]?\d\S* \[\S+, \S+\] \(paired-t, n=2\)/m);
  expect(md).toMatch(/^- pretrainzero − random-span: /m);
  expect(r.out).toContain(md.trim());
  expect(existsSync(join(out, "report.html"))).toBe(true);
  for (const c of CELLS) expect(existsSync(join(out, "logs", `${c}.log`))).toBe(true);
});

test("rerunning the same command skips every finished cell", () => {
  const r = runStudy();
  expect(r.code).toBe(0);
  expect(r.err).toContain(`5 of 5 cells already finished, skipped: ${CELLS.join(", ")}`);
  expect(r.err).not.toContain("[study] start");
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  expect(summary.cellRuns.every((c: { action: string }) => c.action === "skip")).toBe(true);
  // Only summarizing and the report: seconds, not the minutes of training.
  expect(r.seconds).toBeLessThan(60);
});
