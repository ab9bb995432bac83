// The optimiser group: the learning-rate schedule and how a step's batch is split.

import { DEFAULT_RUN_CONFIG, type ModelRunConfig } from "../../runtime/config.ts";
import type { FlagSpec, ParsedArgs } from "../args.ts";
import { groupInt, groupNum, groupOneOf } from "./group.ts";

export const SCHEDULES = ["cosine", "constant"] as const;

export type OptimiserConfig = Pick<ModelRunConfig, "lr" | "schedule" | "warmup" | "microBatch">;

const M = DEFAULT_RUN_CONFIG.model;
const D: OptimiserConfig = { lr: M.lr, schedule: M.schedule, warmup: M.warmup, microBatch: M.microBatch };

export const OPTIMISER_FLAGS: readonly FlagSpec[] = [
  { name: "lr", type: "number", min: 0, default: D.lr, help: "peak learning rate (the paper's RL runs: 5e-7 for 4B-30B models)" },
  { name: "schedule", type: "enum", values: SCHEDULES, default: D.schedule, help: "learning-rate schedule after warm-up (paper: cosine)" },
  { name: "warmup", type: "int", min: 0, default: D.warmup, help: "warm-up steps" },
  { name: "micro-batch", type: "int", min: 1, default: D.microBatch, help: "sequences per optimizer step (a step's batch is split into minibatches)" },
];

export function readOptimiser(args: ParsedArgs, base: OptimiserConfig = D): OptimiserConfig {
  return {
    lr: groupNum(args, "lr") ?? base.lr,
    schedule: groupOneOf(args, "schedule", SCHEDULES) ?? base.schedule,
    warmup: groupInt(args, "warmup") ?? base.warmup,
    microBatch: groupInt(args, "micro-batch") ?? base.microBatch,
  };
}
