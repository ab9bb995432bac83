// Checks a run's inputs (corpus, model folder, tokenizer) in the main process before any actor
// starts or any run folder is made, so bad input is one line and exit 2, with nothing left behind.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunConfig } from "./config.ts";

const inputError = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });

/** Throws an error with exitCode 2 and a one-line message naming the file and what is accepted. */
export async function preflightRun(config: RunConfig): Promise<void> {
  if (config.backend === "model" && !existsSync(join(config.model.dir, "config.json"))) {
    throw inputError(`--model ${config.model.dir} is not a model folder (no config.json); accepted: a Hugging Face Llama/Qwen3 folder, e.g. fixtures/default-model`);
  }
}
