/**
 * The learner's LoRA GRPO step on a published configuration, timed the way
 * scripts/torch_grpo_step.py times PyTorch eager: the same random-weight model folder, the same
 * batch, one warm-up step, then the median of N steps. The GPU check runs both and prints the ratio.
 *
 *   bun src/bench/grpo-step.ts --config qwen3-0.6b --device cuda --batch 4 --length 256 --json
 */
import { parseArgs } from "node:util";
import type { Device } from "../engine/session.ts";
import { loadModel } from "../model/model.ts";
import type { TrainSequence } from "../model/lm-trainer.ts";
import { REAL_CONFIGS, type RealConfigName, realConfigModel } from "./real-configs.ts";

/** Token ids (i·7919 + b·31 + 5) mod V, the second half the completion: scripts/torch_grpo_step.py's bench_batch. */
export function benchBatch(vocab: number, batch: number, length: number): TrainSequence[] {
  const start = Math.floor(length / 2);
  return Array.from({ length: batch }, (_, b) => ({
    ids: Array.from({ length }, (_, i) => (i * 7919 + b * 31 + 5) % vocab),
    completionStart: start,
    advantage: b % 2 === 0 ? 1 : -1,
    behaviourLogprobs: new Float32Array(length - start).fill(-12),
  }));
}

export interface GrpoStepResult {
  readonly impl: "engine";
  readonly model: string;
  readonly device: Device;
  readonly batch: number;
  readonly length: number;
  readonly rank: number;
  readonly trainableParams: number;
  readonly steps: number;
  readonly loadMs: number;
  /** The warm-up step: graph build, session create (the base copied to the device) and one run. */
  readonly firstStepMs: number;
  readonly stepMsMedian: number;
  readonly stepMsBest: number;
  readonly tokensPerSec: number;
  readonly fedBytes: number;
  readonly fetchedBytes: number;
  readonly losses: number[];
  readonly gradNorms: number[];
}

export async function timeGrpoStep(o: { model: string; device: Device; batch: number; length: number; rank: number; steps: number; lr?: number; saveAdapters?: string }): Promise<GrpoStepResult> {
  const t0 = performance.now();
  const model = loadModel(o.model, { device: o.device, lora: { rank: o.rank, alpha: 2 * o.rank }, memoryCheck: { train: { batch: o.batch, length: o.length }, generate: { batch: 1, length: 16 } } });
  const loadMs = performance.now() - t0;
  const seqs = benchBatch(model.config.vocabSize, o.batch, o.length);
  const hp = { lr: o.lr ?? 1e-5, epsLow: 0.2, epsHigh: 0.28 };
  // The starting adapters, for PyTorch to start from the same point (its losses then match ours).
  if (o.saveAdapters) model.saveAdapters(o.saveAdapters);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  const times: number[] = [];
  let firstStepMs = 0;
  let transfer = { fedBytes: 0, fetchedBytes: 0 };
  try {
    for (let i = 0; i <= o.steps; i++) {
      const ts = performance.now();
      const r = await model.trainStep(seqs, hp);
      const ms = performance.now() - ts;
      if (i === 0) firstStepMs = ms;
      else times.push(ms);
      losses.push(r.loss);
      gradNorms.push(r.gradNorm);
      transfer = r.transfer;
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return {
      impl: "engine",
      model: o.model,
      device: o.device,
      batch: o.batch,
      length: o.length,
      rank: o.rank,
      trainableParams: model.parameters().reduce((n, p) => n + p.length, 0),
      steps: o.steps,
      loadMs,
      firstStepMs,
      stepMsMedian: median,
      stepMsBest: sorted[0]!,
      tokensPerSec: (o.batch * o.length) / (median / 1000),
      ...transfer,
      losses,
      gradNorms,
    };
  } finally {
    await model.release();
  }
}

const HELP = `Usage: bun src/bench/grpo-step.ts (--config NAME | --model DIR) [options]

Times the learner's LoRA GRPO step (forward, backward, AdamW in one run) after one warm-up step,
on a random-weight model of a published configuration, as scripts/torch_grpo_step.py times
PyTorch eager on the same folder.

  --config NAME   ${Object.keys(REAL_CONFIGS).join(" | ")} (the model folder is built on first use)
  --model DIR     an HF model folder instead
  --layers N      a reduced-layer variant of --config
  --device D      cpu | cuda (default cpu)
  --batch N       sequences (default 4)
  --length N      tokens per sequence (default 256)
  --rank N        LoRA rank, alpha 2·rank (default 16)
  --steps N       timed steps after the warm-up (default 5)
  --save-adapters DIR  write the starting adapters (PEFT layout) for torch_grpo_step.py --adapters
  --print-model   print the model folder and exit (for the PyTorch side)
  --json          one JSON line
  -h, --help      this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: "string" },
      model: { type: "string" },
      layers: { type: "string" },
      device: { type: "string", default: "cpu" },
      batch: { type: "string", default: "4" },
      length: { type: "string", default: "256" },
      rank: { type: "string", default: "16" },
      steps: { type: "string", default: "5" },
      "print-model": { type: "boolean", default: false },
      "save-adapters": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const int = (v: string | undefined, flag: string) => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--${flag}: ${v} is not a positive integer`);
    return n;
  };
  if (values.device !== "cpu" && values.device !== "cuda") throw new Error(`--device: ${values.device}; accepted: cpu, cuda`);
  if (!values.model === !values.config) throw new Error("give one of --config NAME or --model DIR");
  if (values.config && !(values.config in REAL_CONFIGS)) throw new Error(`--config: ${JSON.stringify(values.config)}; accepted: ${Object.keys(REAL_CONFIGS).join(", ")}`);
  const model = values.model ?? realConfigModel(values.config as RealConfigName, { layers: values.layers ? int(values.layers, "layers") : undefined });
  if (values["print-model"]) return void console.log(model);
  const r = await timeGrpoStep({ model, device: values.device, batch: int(values.batch, "batch"), length: int(values.length, "length"), rank: int(values.rank, "rank"), steps: int(values.steps, "steps"), saveAdapters: values["save-adapters"] });
  if (values.json) return void console.log(JSON.stringify(r));
  console.log(
    `engine LoRA r=${r.rank} GRPO step, ${r.batch} x ${r.length} on ${r.device}: ${r.stepMsMedian.toFixed(1)} ms median of ${r.steps} (best ${r.stepMsBest.toFixed(1)}), ` +
      `${r.tokensPerSec.toFixed(0)} tok/s; first step ${(r.firstStepMs / 1000).toFixed(1)} s; fed ${(r.fedBytes / 1e6).toFixed(2)} MB, fetched ${(r.fetchedBytes / 1e6).toFixed(2)} MB per step; ` +
      `loss ${r.losses[0]!.toFixed(6)} -> ${r.losses.at(-1)!.toFixed(6)}`,
  );
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(`grpo-step: ${(e as Error).message.split("\n")[0]}`);
    process.exit(2);
  });
}
