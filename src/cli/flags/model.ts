// The model group: which Hugging Face model folder a command loads.

import { DEFAULT_RUN_CONFIG, type ModelRunConfig } from "../../runtime/config.ts";
import { InputError, str, type FlagSpec, type ParsedArgs } from "../args.ts";
import { groupStr } from "./group.ts";

export type ModelFolder = Pick<ModelRunConfig, "dir">;

export const MODEL_FLAGS: readonly FlagSpec[] = [
  { name: "model", type: "path", default: DEFAULT_RUN_CONFIG.model.dir, help: "Hugging Face model folder: config.json, model.safetensors[.index.json], tokenizer.json (Llama/Qwen3 family); a task may ship its own default (azr: fixtures/python-model)" },
];

/**
 * The model folder as given (resolving a shipped fixture's path reads the disk: the caller's job).
 * Unset without a `base`: UsageError "--model is required".
 */
export function readModel(args: ParsedArgs, base?: ModelFolder): ModelFolder {
  const dir = groupStr(args, "model") ?? base?.dir ?? str(args, "model");
  if (dir.trim() === "") throw new InputError("--model is empty; accepted: a Hugging Face model folder");
  return { dir };
}
