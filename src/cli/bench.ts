import { BENCH_SECTIONS, type BenchRow, type EngineSection, benchRows, formatRows, parseSections, runBench } from "../bench/engine.ts";
import { type ExecBenchResult, benchExecutor } from "../bench/exec.ts";
import { type ModelSection, modelBenchRows, runModelBench } from "../bench/model.ts";
import { UsageError, bool, defineCommand, optInt, optStr } from "./args.ts";
import { DEVICE_FLAGS, pickFlags, readDevice } from "./flags/index.ts";

function execRows(runs: readonly ExecBenchResult[]): BenchRow[] {
  const rows: BenchRow[] = [["== exec (Python sandbox pool)", "trivial programs through the warm pool"]];
  for (const e of runs) {
    rows.push([
      `  pool size ${e.poolSize}`,
      `cold start ${e.coldStartMs.toFixed(0)} ms per runtime, pool ready ${e.poolReadyMs.toFixed(0)} ms; ${e.jobsPerSecond.toFixed(0)} runs/s, ${e.checksPerSecond.toFixed(0)} checks/s (${e.jobs} jobs)`,
    ]);
  }
  return rows;
}

export const benchCommand = defineCommand(
  {
    name: "bench",
    summary: "Measure the learner's compute: GEMM and memory-bandwidth ceilings, an engine train step, generation and train steps of real decoders, and (opt-in) the Python executor pool.",
    flags: [
      // Only --device: the bench sets its own threading (--threads), so --deterministic would mean nothing here.
      ...pickFlags(DEVICE_FLAGS, "device"),
      { name: "quick", type: "boolean", default: false, help: "tiny sizes (a smoke run, not a measurement)" },
      {
        name: "only",
        type: "string",
        help: `comma-separated sections among ${BENCH_SECTIONS.join(", ")} (default: all but exec, which boots pyodide); the ceilings a section is compared with are measured too`,
      },
      { name: "steps", type: "int", min: 1, max: 1000, help: "timed engine train steps after one warm-up (default 5, quick 2)" },
      { name: "model-steps", type: "int", min: 1, max: 1000, help: "timed model-train steps per mode after one warm-up (default 3, quick 1)" },
      { name: "threads", type: "int", min: 1, max: 1024, help: "ORT intra-op threads (default: one per core)" },
      { name: "profile", type: "path", help: "write ORT profiles (engine train step, default model's decode step) to this directory and list time per op type" },
    ],
    examples: ["bun run bench", "bun run bench --quick --json", "bun run bench --only generate,model-train", "bun run bench --only exec", "bun run bench --profile /tmp/ort-prof", "bun run bench --device cuda"],
  },
  async (args) => {
    let sections;
    try {
      sections = parseSections(optStr(args, "only"));
    } catch (e) {
      throw new UsageError(`--only: ${(e as Error).message}`);
    }
    const { device } = readDevice(args);
    const quick = bool(args, "quick");
    const threads = optInt(args, "threads");
    const profileDir = optStr(args, "profile");
    const engineSections = sections.filter((s): s is EngineSection => s === "gemm" || s === "bandwidth" || s === "train");
    const modelSections = sections.filter((s): s is ModelSection => s === "generate" || s === "model-train");
    if (device === "cuda" && sections.includes("exec")) {
      throw new UsageError(`--device cuda: the exec section runs Python on the CPU only; leave it out of --only`);
    }
    const engine = await runBench({ device, quick, steps: optInt(args, "steps"), threads, profileDir, sections: engineSections });
    const model = modelSections.length
      ? await runModelBench({
          device,
          quick,
          threads,
          sections: modelSections,
          trainSteps: optInt(args, "model-steps"),
          profileDir,
          ceilings: { bandwidthGBs: engine.bandwidth?.gbs, gemmGflops: engine.gemm?.gflops },
        })
      : {};
    const exec: ExecBenchResult[] = [];
    if (sections.includes("exec")) {
      for (const poolSize of [1, 2]) exec.push(await benchExecutor({ poolSize, jobs: quick ? 20 : 300 }));
    }
    const rows = [...benchRows(engine), ...modelBenchRows(model), ...(exec.length ? execRows(exec) : [])];
    console.log(formatRows(rows));
    if (args.json) console.log(JSON.stringify({ ok: true, ...engine, sections, ...model, ...(exec.length ? { exec } : {}) }));
  },
);
