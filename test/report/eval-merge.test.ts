import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCharts } from "../../src/report/charts.ts";
import { loadRun } from "../../src/report/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "spz-eval-merge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("held-out rows (eval.jsonl) join the metrics by step and fill the held-out charts; their bookkeeping and wall time are not charted", () => {
  writeFileSync(join(dir, "metrics.jsonl"), ['{"step":0,"predAcc":0.1}', '{"step":1,"predAcc":0.2}'].join("\n") + "\n");
  writeFileSync(
    join(dir, "eval.jsonl"),
    ['{"step":0,"evalMaskAcc":0.25,"evalNll":5.5,"evalMasks":8,"evalTokens":900,"digest":"a","wall":{"seconds":3}}', '{"step":2,"evalMaskAcc":0.5,"evalNll":5,"evalMasks":8,"evalTokens":900,"digest":"b","wall":{"seconds":4}}'].join("\n") + "\n",
  );
  const run = loadRun(dir);
  expect(run.rows).toEqual([
    { step: 0, values: { predAcc: 0.1, evalMaskAcc: 0.25, evalNll: 5.5, evalMasks: 8, evalTokens: 900 } },
    { step: 1, values: { predAcc: 0.2 } },
    { step: 2, values: { evalMaskAcc: 0.5, evalNll: 5, evalMasks: 8, evalTokens: 900 } },
  ]);
  const charts = buildCharts([run]);
  expect(charts.find((c) => c.id === "eval-acc")!.series[0]!.values).toEqual([0.25, null, 0.5]);
  expect(charts.find((c) => c.id === "eval-nll")!.series[0]!.values).toEqual([5.5, null, 5]);
  const other = charts.filter((c) => c.section === "other").map((c) => c.id);
  expect(other).not.toContain("other-evalMasks");
  expect(other).not.toContain("other-seconds");
});
