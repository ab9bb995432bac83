// `eval RUN --all-checkpoints`: every checkpoint of a short tiny-model run and its initial model
// (step 0) on the same masks, with a progress line per checkpoint, written to RUN/eval-curve.jsonl
// and charted by the report; the curve's ends agree with plain `eval` of the newest checkpoint and
// of the base model. Also: eval prints one table of everything it is given (there is no --compare).

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCharts } from "../../src/report/charts.ts";
import { loadRun } from "../../src/report/metrics.ts";

setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-eval-curve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const LLAMA = join(import.meta.dir, "../../fixtures/tiny-llama");
const RUN = join(dir, "runs", "r");
// The same held-out masks for the run's checkpoints and for the base model.
const SAME = ["--corpus", "factbook", "--min-words", "20", "--max-words", "60", "--template", "compact", "--limit", "5"];

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir, env: { ...process.env, SPZ_CACHE_DIR: join(dir, "cache") } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
const lastJson = (out: string) => JSON.parse(out.trim().split("\n").at(-1)!) as { results: { label: string; step: number | null; masks: number; maskAccuracy: number; nll: number }[] };

beforeAll(() => {
  const train = cli("train", "--model", LLAMA, "--steps", "2", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--transport", "inproc", "--run", "r", "--checkpoint-every", "1");
  expect(train.code).toBe(0);
});

test("--all-checkpoints scores step 0 and every checkpoint, says which it is on, and writes eval-curve.jsonl", () => {
  const r = cli("eval", RUN, "--all-checkpoints", ...SAME, "--json");
  expect(r.code).toBe(0);
  for (const at of ["step 0 (1/3)", "step 1 (2/3)", "step 2 (3/3)"]) expect(r.err).toContain(`eval r ${at}`);
  expect(r.err).toContain(`wrote ${join(RUN, "eval-curve.jsonl")}: 3 steps`);
  const results = lastJson(r.out).results;
  expect(results.map((x) => x.step)).toEqual([0, 1, 2]);
  const lines = readFileSync(join(RUN, "eval-curve.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(lines[0].curve).toMatchObject({ template: "compact", limit: 5, seed: 0, corpus: { path: "factbook", minWords: 20, maxWords: 60 } });
  const rows = lines.slice(1);
  expect(rows.map((x: { step: number }) => x.step)).toEqual([0, 1, 2]);
  for (const [i, row] of rows.entries()) {
    expect(row).toEqual({ step: i, curveMaskAcc: results[i]!.maskAccuracy, curveNll: results[i]!.nll, curveMasks: results[0]!.masks });
    expect(row.curveNll).toBeGreaterThan(0);
  }
  // The text table has a row per step.
  expect(r.out).toMatch(/^r +0 +\d+ +0\.\d{4}/m);
  expect(r.out).toMatch(/^r +2 +\d+ +0\.\d{4}/m);
});

test("the curve's last step is plain eval of the newest checkpoint, and its step 0 is the base model", () => {
  const curve = lastJson(cli("eval", RUN, "--all-checkpoints", ...SAME, "--json").out).results;
  const newest = cli("eval", RUN, ...SAME, "--fresh", "--json");
  expect(newest.code).toBe(0);
  const n = lastJson(newest.out).results[0]!;
  expect(n.step).toBe(2);
  expect(n.nll).toBeCloseTo(curve[2]!.nll, 5);
  expect(n.maskAccuracy).toBe(curve[2]!.maskAccuracy);
  const base = lastJson(cli("eval", "--model", LLAMA, ...SAME, "--json").out).results[0]!;
  expect(base.nll).toBeCloseTo(curve[0]!.nll, 4);
  expect(base.masks).toBe(curve[0]!.masks);
});

test("a second --all-checkpoints reuses each step's cached result", () => {
  const before = readFileSync(join(RUN, "eval-curve.jsonl"), "utf8");
  const r = cli("eval", RUN, "--all-checkpoints", ...SAME);
  expect(r.code).toBe(0);
  for (const at of ["step 0 (1/3)", "step 1 (2/3)", "step 2 (3/3)"]) expect(r.err).toContain(`eval r ${at}: cached`);
  expect(readFileSync(join(RUN, "eval-curve.jsonl"), "utf8")).toBe(before);
});

test("the report charts the curve beside the run's metrics, by step", () => {
  const run = loadRun(RUN);
  const rows = readFileSync(join(RUN, "eval-curve.jsonl"), "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as { step: number; curveMaskAcc: number; curveNll: number });
  const charts = buildCharts([run]);
  const acc = charts.find((c) => c.id === "curve-acc")!;
  const nll = charts.find((c) => c.id === "curve-nll")!;
  for (const row of rows) {
    const at = acc.x.indexOf(row.step);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(acc.series[0]!.values[at]).toBe(row.curveMaskAcc);
    expect(nll.series[0]!.values[nll.x.indexOf(row.step)]).toBe(row.curveNll);
  }
  expect(charts.filter((c) => c.section === "other").map((c) => c.id)).not.toContain("other-curveMasks");
  const report = cli("report", RUN, "--out", join(dir, "report.html"));
  expect(report.code).toBe(0);
  expect(readFileSync(join(dir, "report.html"), "utf8")).toContain("Checkpoints: held-out masked-span accuracy");
});

test("--all-checkpoints takes one run and no --model, else one line and exit 2", () => {
  for (const args of [[RUN, RUN], [RUN, "--model", LLAMA], ["--model", LLAMA]]) {
    const r = cli("eval", ...args, "--all-checkpoints");
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe("error: --all-checkpoints evaluates one run folder (its initial model is step 0); give exactly one RUN and no --model");
  }
});

test("eval prints one table of the base model and every run given; --compare no longer exists", () => {
  const r = cli("eval", RUN, "--model", LLAMA, ...SAME);
  expect(r.code).toBe(0);
  const table = r.out.trim().split("\n");
  expect(table[0]).toMatch(/^model +step +masks +mask_acc +nll +ppl$/);
  expect(table[1]).toMatch(/^base \(.*tiny-llama\) +- +\d+ /);
  expect(table[2]).toMatch(/^r +2 +\d+ /);
  const old = cli("eval", RUN, "--model", LLAMA, "--compare");
  expect(old.code).toBe(2);
  expect(old.err).toContain("unknown flag --compare");
  expect(existsSync(join(RUN, "eval-2.json"))).toBe(true);
});
