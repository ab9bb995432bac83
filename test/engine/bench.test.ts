import { expect, setDefaultTimeout, test } from "bun:test";
import { formatBenchTable, graphMatmulFlops, runBench } from "../../src/engine/bench.ts";
import { Graph } from "../../src/engine/graph.ts";
import { matmul } from "../../src/engine/ops/index.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

test("matmul FLOPs are counted from the graph's MatMul nodes", () => {
  const g = new Graph();
  const a = g.input("a", "float32", [2, 3, 4]);
  const b = g.input("b", "float32", [4, 5]);
  g.output(matmul(a, b), "c");
  expect(graphMatmulFlops(g)).toBe(2 * 2 * 3 * 4 * 5);
});

test("quick bench reports the ceiling, a train step and a table", async () => {
  const r = await runBench({ quick: true, steps: 1 });
  expect(r.gemm.gflops).toBeGreaterThan(0);
  expect(r.train.tokens).toBe(r.train.model.batch * r.train.model.seq);
  expect(r.train.gflopPerStep).toBeGreaterThan(0);
  expect(r.train.ratioToCeiling).toBeCloseTo(r.train.gflops / r.gemm.gflops, 9);
  expect(Number.isFinite(r.train.lossLast)).toBe(true);
  const table = formatBenchTable(r);
  expect(table).toContain("GEMM ceiling fp32 128^3");
  expect(table).toContain("% of ceiling");
  expect(JSON.parse(JSON.stringify(r)).train.params).toBe(r.train.params);
});
