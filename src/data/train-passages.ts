// The training split of a run's corpus, as the generator actors read it.

import type { RunConfig } from "../runtime/config.ts";
import { loadPassages } from "./corpus.ts";

/** The training split of the run's corpus, as paragraph texts (the held-out split is never trained on). */
export async function trainPassages(config: RunConfig): Promise<string[]> {
  const c = config.corpus;
  const { train } = await loadPassages(c.path, {
    minWords: c.minWords,
    maxWords: c.maxWords,
    heldOutFraction: c.heldOut,
    seed: c.seed,
    textField: c.textField,
    cache: true,
  });
  return train.map((p) => p.text);
}
