// The device group: where a model runs, and whether its runs repeat bit for bit.

import { DEFAULT_RUN_CONFIG, type ModelRunConfig } from "../../runtime/config.ts";
import type { FlagSpec, ParsedArgs } from "../args.ts";
import { groupBool, groupOneOf } from "./group.ts";

export const DEVICES = ["cpu", "cuda"] as const;

export type DeviceConfig = Pick<ModelRunConfig, "device" | "deterministic">;

const M = DEFAULT_RUN_CONFIG.model;
const D: DeviceConfig = { device: M.device, deterministic: M.deterministic };

export const DEVICE_FLAGS: readonly FlagSpec[] = [
  { name: "device", type: "enum", values: DEVICES, default: D.device, help: "execution provider; cuda fails with the reason when unavailable (never falls back)" },
  { name: "deterministic", type: "boolean", default: D.deterministic, help: "fixed threads and execution order: bit-identical reruns and resumes (--no-deterministic for speed)" },
];

export function readDevice(args: ParsedArgs, base: DeviceConfig = D): DeviceConfig {
  return {
    device: groupOneOf(args, "device", DEVICES) ?? base.device,
    deterministic: groupBool(args, "deterministic") ?? base.deterministic,
  };
}
