import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRun } from "../../src/report/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "spz-probe-merge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the difficulty probe's rows join the metrics by step, and the final checkpoint's probe gets its own row", () => {
  writeFileSync(join(dir, "metrics.jsonl"), ['{"step":0,"predAcc":0.1}', '{"step":1,"predAcc":0.2}'].join("\n") + "\n");
  writeFileSync(join(dir, "probe.jsonl"), ['{"step":0,"probeBaseSolveRate":0.5,"probeMasks":8}', '{"step":2,"probeBaseSolveRate":0.25,"probeSolveRate":0.75}'].join("\n") + "\n");
  const run = loadRun(dir);
  expect(run.rows).toEqual([
    { step: 0, values: { predAcc: 0.1, probeBaseSolveRate: 0.5, probeMasks: 8 } },
    { step: 1, values: { predAcc: 0.2 } },
    { step: 2, values: { probeBaseSolveRate: 0.25, probeSolveRate: 0.75 } },
  ]);
  expect(run.fields).toEqual(["predAcc", "probeBaseSolveRate", "probeMasks", "probeSolveRate"]);
  expect(run.stepProblems).toBeNull();
});
