// Executor throughput and cold start, for `bun run bench` (performance claims live there, not in tests).

import { createPythonExecutor } from "../exec/python.ts";
import type { ExecRequest } from "../exec/types.ts";

export interface ExecBenchResult {
  poolSize: number;
  /** Mean boot of one runtime (subprocess + pyodide + hardening), ms. */
  coldStartMs: number;
  /** Wall time from creating the pool until every runtime is ready, ms. */
  poolReadyMs: number;
  jobs: number;
  /** Trivial run jobs per second through the warm pool. */
  jobsPerSecond: number;
  /** Same, for check jobs (run + compare with an expected value). */
  checksPerSecond: number;
}

export async function benchExecutor(opts: { poolSize: number; jobs: number }): Promise<ExecBenchResult> {
  const t0 = performance.now();
  const ex = createPythonExecutor({ poolSize: opts.poolSize });
  try {
    await ex.warm();
    const poolReadyMs = performance.now() - t0;
    const program = "def f(a, b):\n    return sorted(a)[:b]";
    const runs: ExecRequest[] = Array.from({ length: opts.jobs }, (_, i) => ({ op: "run", program, input: `[${i}, 3, 1, 2], 2` }));
    await ex.runBatch(runs.slice(0, 4 * opts.poolSize)); // warm the code paths
    const t1 = performance.now();
    const vs = await ex.runBatch(runs);
    const runSec = (performance.now() - t1) / 1000;
    if (vs.some((v) => !v.ok)) throw new Error(`bench: a trivial job failed: ${JSON.stringify(vs.find((v) => !v.ok))}`);
    const checks: ExecRequest[] = runs.map((r) => ({ ...(r as { program: string; input: string }), op: "check", expected: "[1, 2]" }));
    const t2 = performance.now();
    await ex.runBatch(checks);
    const checkSec = (performance.now() - t2) / 1000;
    return {
      poolSize: opts.poolSize,
      coldStartMs: ex.stats().meanStartMs,
      poolReadyMs,
      jobs: opts.jobs,
      jobsPerSecond: opts.jobs / runSec,
      checksPerSecond: opts.jobs / checkSec,
    };
  } finally {
    await ex.close();
  }
}

if (import.meta.main) {
  const poolSize = Number(process.argv[2] ?? 2);
  console.log(JSON.stringify(await benchExecutor({ poolSize, jobs: 2000 })));
}
