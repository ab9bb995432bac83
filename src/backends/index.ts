// Chooses the learner's backend. Backends are imported lazily so that only the learner's thread
// pays for (and only it ever loads) a model runtime.

import type { LearnerBackend } from "./backend.ts";
import type { RunConfig } from "../runtime/config.ts";

export async function createBackend(config: RunConfig): Promise<LearnerBackend> {
  switch (config.backend) {
    case "sim": {
      const { SimBackend } = await import("./sim/backend.ts");
      return new SimBackend({
        seed: config.seed,
        design: config.design,
        genLr: config.sim.genLr,
        predLr: config.sim.predLr,
        maxSpanWords: config.sim.maxSpanWords,
        grpo: config.grpo,
      });
    }
    case "model": {
      const { ModelBackend } = await import("./model/backend.ts");
      return ModelBackend.load(config);
    }
  }
}
