import { runBench, formatBenchTable } from "../engine/bench.ts";
import type { Device } from "../engine/session.ts";
import { bool, defineCommand, oneOf, optInt, optStr } from "./args.ts";

export const benchCommand = defineCommand(
  {
    name: "bench",
    summary: "Measure the learner's compute engine: ORT's fp32 GEMM ceiling and one full train step.",
    flags: [
      { name: "device", type: "enum", values: ["cpu", "cuda"], default: "cpu", help: "execution provider; cuda fails with the reason when unavailable (never falls back)" },
      { name: "quick", type: "boolean", default: false, help: "tiny sizes (a smoke run, not a measurement)" },
      { name: "steps", type: "int", min: 1, max: 1000, help: "timed train steps after one warm-up (default 5, quick 2)" },
      { name: "threads", type: "int", min: 1, max: 1024, help: "ORT intra-op threads (default: one per core)" },
      { name: "profile", type: "path", help: "write an ORT profile of one train step to this directory and list time per op type" },
    ],
    examples: ["bun run bench", "bun run bench --quick --json", "bun run bench --profile /tmp/ort-prof", "bun run bench --device cuda"],
  },
  async (args) => {
    const report = await runBench({
      device: oneOf(args, "device", ["cpu", "cuda"] as const) as Device,
      quick: bool(args, "quick"),
      steps: optInt(args, "steps"),
      threads: optInt(args, "threads"),
      profileDir: optStr(args, "profile"),
    });
    console.log(formatBenchTable(report));
    if (args.json) console.log(JSON.stringify({ ok: true, ...report }));
  },
);
