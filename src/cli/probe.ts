// `bun run probe RUN`: the difficulty probe (src/eval/probe.ts) over a run's checkpoints.

import { DEFAULT_PROBE_OPTIONS, probeRun, type ProbeRow } from "../eval/probe.ts";
import { bool, defineCommand, int } from "./args.ts";
import { cudaUnavailableReason, DeviceUnavailableError } from "../engine/session.ts";
import { DEVICE_FLAGS, pickFlags, readDevice } from "./flags/index.ts";

const rate = (x: number | null) => (x === null ? "-" : x.toFixed(3));

export const probeCommand = defineCommand(
  {
    name: "probe",
    summary:
      "Difficulty probe of a mask-task run: each checkpoint's policy (and the initial one, step 0) masks a fixed set of held-out passages; the frozen initial model's greedy solve rate on those spans shows how hard the generator's choices became. Writes RUN/probe.jsonl (cached per step).",
    usage: "bun run probe [flags] <RUN>",
    positionals: [{ name: "RUN", help: "a run folder of train --backend model, task pretrainzero, random-span, next-token or entropy", required: true }],
    flags: [
      { name: "passages", type: "int", min: 1, default: DEFAULT_PROBE_OPTIONS.passages, help: "held-out passages in the probe set (the same for every checkpoint)" },
      { name: "samples", type: "int", min: 1, default: DEFAULT_PROBE_OPTIONS.samples, help: "masks each policy samples per passage (the run's temperature)" },
      { name: "seed", type: "int", min: 0, default: DEFAULT_PROBE_OPTIONS.seed, help: "seed of the passage choice and of the masks' sampling" },
      { name: "batch", type: "int", min: 1, default: DEFAULT_PROBE_OPTIONS.batch, help: "sequences per generate call" },
      { name: "fresh", type: "boolean", default: false, help: "recompute every step even when probe.jsonl has it" },
      ...pickFlags(DEVICE_FLAGS, "device"),
    ],
    examples: ["bun run probe runs/pz", "bun run probe runs/pz --passages 64 --samples 8 --json"],
  },
  async (args) => {
    const run = args.positionals[0]!;
    const { device } = readDevice(args);
    // Fail before the corpus is read, with the message a session would give.
    const noCuda = device === "cuda" ? cudaUnavailableReason() : undefined;
    if (noCuda) throw new DeviceUnavailableError(`--device cuda: ${noCuda}`);
    const rows: ProbeRow[] = await probeRun(
      run,
      { passages: int(args, "passages"), samples: int(args, "samples"), seed: int(args, "seed"), batch: int(args, "batch"), fresh: bool(args, "fresh"), device },
      (p) => {
        if (p.kind === "warning") console.error(`warning: ${p.message}`);
        else console.error(`probe: step ${p.step} (${p.index}/${p.total})${p.cached ? " cached" : ""}`);
      },
    );
    if (args.json) {
      console.log(JSON.stringify({ rows }));
      return 0;
    }
    console.log(`${"step".padStart(6)}  ${"base_solve".padStart(10)}  ${"self_solve".padStart(10)}  ${"valid".padStart(6)}  ${"masks".padStart(5)}  ${"words".padStart(6)}  ${"chars".padStart(6)}`);
    for (const r of rows) {
      console.log(
        `${String(r.step).padStart(6)}  ${rate(r.probeBaseSolveRate).padStart(10)}  ${rate(r.probeSolveRate).padStart(10)}  ${r.probeValidFrac.toFixed(3).padStart(6)}  ${String(r.probeMasks).padStart(5)}  ${r.probeSpanWords.toFixed(2).padStart(6)}  ${r.probeSpanChars.toFixed(1).padStart(6)}`,
      );
    }
    return 0;
  },
);
