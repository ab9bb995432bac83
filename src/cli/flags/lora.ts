// The LoRA group: train low-rank adapters over a frozen base instead of every weight.

import type { ModelRunConfig } from "../../runtime/config.ts";
import { InputError, type FlagSpec, type ParsedArgs } from "../args.ts";
import { groupInt, groupNum } from "./group.ts";

export type LoraConfig = ModelRunConfig["lora"];

const ALPHA = 16;

export const LORA_FLAGS: readonly FlagSpec[] = [
  { name: "lora-rank", type: "int", min: 0, default: 0, help: "train LoRA adapters of this rank over a frozen base (0: train every weight)" },
  { name: "lora-alpha", type: "number", min: 0, default: ALPHA, help: "LoRA alpha (the update is scaled by alpha / rank)" },
];

/** null (train every weight) when the rank is 0. */
export function readLora(args: ParsedArgs, base: LoraConfig = null): LoraConfig {
  const rank = groupInt(args, "lora-rank") ?? base?.rank ?? 0;
  const alpha = groupNum(args, "lora-alpha") ?? base?.alpha ?? ALPHA;
  if (rank === 0) return null;
  // The model refuses it too, but only once loaded (src/model/lora.ts); say it before anything starts.
  if (alpha === 0) throw new InputError(`--lora-alpha 0 scales the LoRA update of --lora-rank ${rank} to nothing; accepted: a number above 0`);
  return { ...(base?.targets ? { targets: base.targets } : {}), rank, alpha };
}
