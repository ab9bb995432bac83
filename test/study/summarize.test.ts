import { describe, expect, test } from "bun:test";
import { formatDifference, formatInterval, summaryMarkdown } from "../../src/study/format.ts";
import type { StudyPlan } from "../../src/study/plan.ts";
import { lastStepsMean, methodStats, pairwise, type CellMetrics } from "../../src/study/summarize.ts";

const cell = (method: string, seed: number | null, metrics: Record<string, number>): CellMetrics => ({
  cell: seed === null ? method : `${method}-s${seed}`,
  method,
  seed,
  step: seed === null ? null : 10,
  stepsAveraged: seed === null ? 0 : 2,
  trainS: seed === null ? null : 5,
  evalS: 1,
  metrics,
});

const CELLS = [
  cell("base", null, { "eval.maskAccuracy": 0.1 }),
  cell("pz", 1, { "eval.maskAccuracy": 0.2, predAcc: 0.5 }),
  cell("pz", 2, { "eval.maskAccuracy": 0.3, predAcc: 0.7 }),
  cell("pz", 3, { "eval.maskAccuracy": 0.4, predAcc: 0.6 }),
  cell("rs", 1, { "eval.maskAccuracy": 0.1, predAcc: 0.4 }),
  cell("rs", 2, { "eval.maskAccuracy": 0.25, predAcc: 0.4 }),
  cell("rs", 3, { "eval.maskAccuracy": 0.3, predAcc: 0.4 }),
];
const O = { ci: "t" as const, bootstrap: { samples: 1000, seed: 0 } };

describe("a cell's training metrics", () => {
  test("are the mean of each field over the last K steps, a step written twice counted once (its last row)", () => {
    const rows: { step: number; values: Record<string, number> }[] = [
      { step: 0, values: { a: 100 } },
      { step: 1, values: { a: 1, b: 10 } },
      { step: 2, values: { a: 9 } },
      { step: 2, values: { a: 3 } },
    ];
    expect(lastStepsMean(rows, 2)).toEqual({ values: { a: 2, b: 10 }, used: 2 });
    expect(lastStepsMean(rows, 10).used).toBe(3);
  });
});

describe("per-method statistics", () => {
  const stats = methodStats(["base", "pz", "rs"], CELLS, O);

  test("a method's metric: mean and t interval over its seeds", () => {
    // 0.2, 0.3, 0.4: mean 0.3, s = 0.1, se = 0.1/√3, t(0.975, 2) = 4.302653
    expect(stats.pz!["eval.maskAccuracy"]!.mean).toBeCloseTo(0.3, 12);
    expect(stats.pz!["eval.maskAccuracy"]!.halfWidth!).toBeCloseTo((4.302653 * 0.1) / Math.sqrt(3), 5);
  });

  test("base is one exact value with a zero-width interval, and has no training metrics", () => {
    expect(stats.base!["eval.maskAccuracy"]).toMatchObject({ n: 1, mean: 0.1, lo: 0.1, hi: 0.1, halfWidth: 0, method: "exact" });
    expect(stats.base!.predAcc).toBeUndefined();
  });
});

describe("pairwise differences", () => {
  const ds = pairwise(["base", "pz", "rs"], CELLS, ["eval.maskAccuracy"], O);

  test("every pair, later method minus earlier, paired by seed", () => {
    expect(ds.map((d) => `${d.a}-${d.b}`)).toEqual(["pz-base", "rs-base", "rs-pz"]);
    for (const d of ds) expect(d.diff.method).toBe("paired-t");
  });

  test("against base: the other method's values shifted by base's exact value", () => {
    const d = ds.find((x) => x.a === "pz" && x.b === "base")!.diff;
    expect(d.mean).toBeCloseTo(0.2, 12);
    expect(d.halfWidth!).toBeCloseTo((4.302653 * 0.1) / Math.sqrt(3), 5);
  });

  test("rs − pz pairs seeds: d = -0.1, -0.05, -0.1", () => {
    const d = ds.find((x) => x.a === "rs" && x.b === "pz")!.diff;
    expect(d.mean).toBeCloseTo(-0.25 / 3, 12);
    const s = Math.sqrt(((0.1 - 0.25 / 3) ** 2 * 2 + (0.05 - 0.25 / 3) ** 2) / 2);
    expect(d.halfWidth!).toBeCloseTo((4.302653 * s) / Math.sqrt(3), 5);
  });

  test("a failed cell breaks the pairing: Welch over what finished", () => {
    const d = pairwise(["pz", "rs"], CELLS.filter((c) => c.cell !== "rs-s3"), ["eval.maskAccuracy"], O)[0]!;
    expect(d.diff.method).toBe("welch-t");
  });
});

describe("formatting", () => {
  test("mean ± half-width [lo, hi]; n=1 and exact values say so", () => {
    expect(formatInterval({ n: 3, mean: 0.3, lo: 0.05, hi: 0.55, halfWidth: 0.25, method: "t" })).toBe("0.3000 ± 0.2500 [0.0500, 0.5500]");
    expect(formatInterval({ n: 1, mean: 0.3, lo: null, hi: null, halfWidth: null, method: "n=1" })).toBe("0.3000 (n=1)");
    expect(formatInterval({ n: 1, mean: 0.1, lo: 0.1, hi: 0.1, halfWidth: 0, method: "exact" })).toBe("0.1000 (exact)");
    expect(formatInterval(undefined)).toBe("—");
    expect(formatInterval({ n: 2, mean: 205.3, lo: 188.55, hi: 222.05, halfWidth: 16.75, method: "t" })).toBe("205.3 ± 16.8 [188.6, 222.1]");
  });

  test("a difference line is starred only when its interval excludes 0", () => {
    const d = (lo: number, hi: number) => ({ a: "pz", b: "base", metric: "m", diff: { n: 3, mean: (lo + hi) / 2, lo, hi, halfWidth: (hi - lo) / 2, method: "paired-t" } });
    expect(formatDifference(d(0.1, 0.3))).toBe("pz − base: +0.2000 [+0.1000, +0.3000] (paired-t, n=3) *");
    expect(formatDifference(d(-0.1, 0.3))).toBe("pz − base: +0.1000 [-0.1000, +0.3000] (paired-t, n=3)");
    expect(formatDifference(d(0.05, 0.05))).toBe("pz − base: +0.0500 [+0.0500, +0.0500] (paired-t, n=3) (no spread across seeds) *");
  });

  test("the markdown has the methods table and the difference lines", () => {
    const plan: StudyPlan = {
      methods: ["base", "pz", "rs"],
      seeds: [1, 2, 3],
      train: { model: "m", steps: 8, passages: null, corpus: "factbook", minWords: 20, maxWords: 60, textField: "text", template: "compact", extra: [] },
      eval: { limit: 10, seed: 0 },
    };
    const md = summaryMarkdown({
      out: "s", plan, ci: "t", bootstrap: O.bootstrap, lastK: 2, metrics: ["eval.maskAccuracy", "predAcc"],
      stats: methodStats(plan.methods, CELLS, O), cells: CELLS, differences: pairwise(plan.methods, CELLS, ["eval.maskAccuracy"], O),
      failed: [], missing: [], wallS: 12.5, cellWall: [{ cell: "pz-s1", action: "train", wallS: 6, trainS: 5, evalS: 1 }],
    });
    expect(md).toContain("| method | n | eval.maskAccuracy | predAcc |");
    expect(md).toContain("| base | 1 (exact) | 0.1000 (exact) | — |");
    expect(md).toMatch(/^- pz − base: \+0\.2000 \[-0\.0484, \+0\.4484\] \(paired-t, n=3\)$/m);
    expect(md).toMatch(/^- rs − pz: -0\.0833 \[-0\.1550, -0\.0116\] \(paired-t, n=3\) \*$/m);
    expect(md).toContain("| rs | 3 | 0.2167 ± 0.2586 [-0.0419, 0.4752] | 0.4000 ± 0.0000 [0.4000, 0.4000] |");
    expect(md).toContain("Student t over seeds");
    expect(md).toContain("Study wall time (this invocation): 12.5 s");
  });
});
