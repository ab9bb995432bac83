// Absolute Zero's options (arXiv 2505.03335 §3.3 and Appendix) and the flags that set them.

import type { RunConfig } from "../../runtime/config.ts";
import type { TaskFlag } from "../task.ts";
import { INDUCTION_INPUTS } from "./types.ts";

export type AzrOptions = {
  /** Reference triplets shown to the proposer (paper: K = 6). */
  references: number;
  /** The official code's penalties (-0.5 / -1) instead of the paper's 0. */
  official: boolean;
  /** Inputs an induction proposal writes (paper: N = 10). */
  inductionInputs: number;
  /** Sandboxed executors in the reward actor's pool. */
  poolSize: number;
  timeoutMs: number;
  memoryMb: number;
};

export const AZR_DEFAULTS: AzrOptions = { references: 6, official: false, inductionInputs: INDUCTION_INPUTS, poolSize: 1, timeoutMs: 2000, memoryMb: 256 };

export const AZR_FLAGS: TaskFlag[] = [
  { name: "azr-references", option: "references", type: "int", min: 1, default: AZR_DEFAULTS.references, help: "task azr: reference triplets shown to the proposer (paper: K = 6)" },
  { name: "azr-official", option: "official", type: "boolean", default: AZR_DEFAULTS.official, help: "task azr: the official code's penalties (-0.5 unlearnable / wrong, -1 invalid / format error) instead of 0" },
  { name: "exec-pool", option: "poolSize", type: "int", min: 1, default: AZR_DEFAULTS.poolSize, help: "task azr: sandboxed Python executors in the reward actor" },
  { name: "exec-timeout-ms", option: "timeoutMs", type: "int", min: 10, default: AZR_DEFAULTS.timeoutMs, help: "task azr: wall-time limit of one program run" },
  { name: "exec-memory-mb", option: "memoryMb", type: "int", min: 16, default: AZR_DEFAULTS.memoryMb, help: "task azr: sandbox heap limit" },
];

export function azrOptions(config: RunConfig): AzrOptions {
  return { ...AZR_DEFAULTS, ...(config.taskOptions as Partial<AzrOptions>) };
}
