// The report's data (run folders -> charts) and its HTML, without a browser.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportCommand } from "../../src/cli/report.ts";
import { buildCharts, CHART_SPECS } from "../../src/report/charts.ts";
import { renderReport, reportData } from "../../src/report/html.ts";
import { loadRun, parseMetrics, uniqueLabels } from "../../src/report/metrics.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeRun(name: string, rows: Record<string, unknown>[], parent = dir): string {
  const run = join(parent, name);
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, "config.json"), JSON.stringify({ command: "simulate", config: { design: "minmax", seed: 1 } }));
  writeFileSync(join(run, "metrics.jsonl"), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return run;
}

const simRows = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, step) => ({ step, version: step + 1, genReward: 0.1 * step + offset, predAcc: 0.5, zeroVarFrac: 0.2, genZeroVarFrac: 0, spanWords: 2, invalidFrac: 0, clipFrac: 0, digest: "ab" }));

test("a torn last line is dropped with a warning; a bad line in the middle is an error naming it", () => {
  const ok = parseMetrics('{"step":0,"genReward":1}\n{"step":1,"genRe', "m.jsonl");
  expect(ok.rows).toHaveLength(1);
  expect(ok.warnings[0]).toContain("partial last line");
  expect(() => parseMetrics('{"step":0}\nnot json\n{"step":2}\n', "m.jsonl")).toThrow(/m\.jsonl line 2 is not JSON/);
});

test("only numeric fields are kept, in first-seen order, and string fields like the digest are not", () => {
  const m = parseMetrics('{"step":0,"genReward":0.5,"digest":"x"}\n{"step":1,"genReward":0.6,"entropy":2}\n', "m");
  expect(m.fields).toEqual(["genReward", "entropy"]);
  expect(m.rows[1]!.values).toEqual({ genReward: 0.6, entropy: 2 });
});

test("every chart of the issue is present; fields no run recorded are marked not recorded instead of failing", () => {
  const run = loadRun(makeRun("sim", simRows(5)));
  const charts = buildCharts([run]);
  const byId = new Map(charts.map((c) => [c.id, c]));
  for (const spec of CHART_SPECS) expect(byId.has(spec.id)).toBe(true);
  expect(byId.get("gen-reward")!.series).toHaveLength(1);
  expect(byId.get("zero-var")!.series.map((s) => s.label)).toEqual(["predictor", "generator"]);
  for (const id of ["entropy", "kl", "lr", "tokens-per-s", "step-time", "response-len", "trunc"]) {
    expect(byId.get(id)!.series).toHaveLength(0);
    expect(byId.get(id)!.missingIn).toEqual(["sim"]);
  }
  // Identifiers are never charted; unknown numeric fields get an "other" chart.
  expect(charts.some((c) => c.wanted.includes("version") || c.wanted.includes("digest"))).toBe(false);
});

test("several runs are overlaid on one step axis, with gaps where a run has no value", () => {
  const a = loadRun(makeRun("a", simRows(3)));
  const b = loadRun(makeRun("b", [...simRows(5, 1)].map((r) => ({ ...r, entropy: 1.5, timeSampleS: 0.2, timeTrainS: 0.3 }))));
  const charts = buildCharts([a, b]);
  const gen = charts.find((c) => c.id === "gen-reward")!;
  expect(gen.x).toEqual([0, 1, 2, 3, 4]);
  expect(gen.series.map((s) => s.label)).toEqual(["a", "b"]);
  expect(gen.series[0]!.values).toEqual([0, 0.1, 0.2, null, null]);
  const ent = charts.find((c) => c.id === "entropy")!;
  expect(ent.series).toHaveLength(1);
  expect(ent.missingIn).toEqual(["a"]);
  const time = charts.find((c) => c.id === "step-time")!;
  expect(time.series.map((s) => s.field)).toEqual(["timeSampleS", "timeTrainS"]);
});

test("runs with the same folder name get distinct labels", () => {
  const x = loadRun(makeRun("same", simRows(2), join(dir, "p1")));
  const y = loadRun(makeRun("same", simRows(2), join(dir, "p2")));
  uniqueLabels([x, y]);
  expect([x.label, y.label]).toEqual(["p1/same", "p2/same"]);
});

test("the HTML is self-contained: the chart library is inlined and nothing is fetched from the network", () => {
  const html = renderReport(reportData([loadRun(join(dir, "sim"))]));
  // (booleans, not toMatch: a failure would print the whole 70 KB page)
  expect(html.includes("var uPlot=")).toBe(true);
  expect(/<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=/i.test(html)).toBe(false);
  expect(/@import|url\(\s*["']?https?:|\bfetch\(|XMLHttpRequest/.test(html)).toBe(false);
  // Same input, same bytes (no timestamps).
  expect(renderReport(reportData([loadRun(join(dir, "sim"))])) === html).toBe(true);
});

test("run names with markup cannot break out of the embedded data", () => {
  const run = loadRun(makeRun("evil", simRows(2)));
  run.label = "</script><script>alert(1)</script>";
  const html = renderReport(reportData([run]));
  expect(html.includes("</script><script>alert(1)")).toBe(false);
  expect(html.includes("<\\/script><script>alert(1)<\\/script>")).toBe(true);
});

test("report writes the file and exits 2 with one line for a run that does not exist", async () => {
  const out = join(dir, "out", "r.html");
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  expect(await reportCommand.main([join(dir, "a"), join(dir, "b"), "--out", out], io)).toBe(0);
  expect(readFileSync(out, "utf8")).toContain('"label":"b"');
  lines.length = 0;
  expect(await reportCommand.main([join(dir, "missing")], io)).toBe(2);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: run not found: .*missing/);
});
