// The sampling group: how rollouts draw their tokens.

import { DEFAULT_RUN_CONFIG, type ModelRunConfig } from "../../runtime/config.ts";
import { InputError, type FlagSpec, type ParsedArgs } from "../args.ts";
import { groupInt, groupNum } from "./group.ts";

export type SamplingConfig = Pick<ModelRunConfig, "temperature" | "topP" | "topK">;

const M = DEFAULT_RUN_CONFIG.model;
const D: SamplingConfig = { temperature: M.temperature, topP: M.topP, topK: M.topK };

export const SAMPLING_FLAGS: readonly FlagSpec[] = [
  { name: "temperature", type: "number", min: 0, default: D.temperature, help: "sampling temperature (0: greedy; paper: 1.0)" },
  { name: "top-p", type: "number", min: 0, max: 1, default: D.topP, help: "nucleus sampling: keep the most likely tokens up to this mass (1: off)" },
  { name: "top-k", type: "int", min: 0, default: D.topK, help: "top-k sampling (0: off)" },
];

export function readSampling(args: ParsedArgs, base: SamplingConfig = D): SamplingConfig {
  const s: SamplingConfig = {
    temperature: groupNum(args, "temperature") ?? base.temperature,
    topP: groupNum(args, "top-p") ?? base.topP,
    topK: groupInt(args, "top-k") ?? base.topK,
  };
  // The sampler keeps the smallest set reaching the mass: 0 would keep no token (src/model/sampler.ts).
  if (s.topP === 0) throw new InputError("--top-p 0 keeps no token; accepted: a number above 0 and at most 1 (1: off)");
  return s;
}
