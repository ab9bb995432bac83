// How each actor is built from the run configuration, and where its worker entry point lives.
// Only the learner's factory ever creates a model backend (and so ever loads onnxruntime).

import { decodeValue } from "../src/protocol/codec.ts";
import type { ActorId, StepStats } from "../src/protocol/messages.ts";
import { loadPassages } from "../src/data/corpus.ts";
import type { RunConfig } from "../src/runtime/config.ts";
import type { ActorFactory } from "../src/runtime/host.ts";
import type { ActorModule } from "../src/runtime/hub.ts";
import { createBackend } from "../src/runtime/backends.ts";
import { generatorMachine } from "./generator.ts";
import { learnerMachine } from "./learner.ts";
import { predictorMachine } from "./predictor.ts";
import { rewardMachine } from "./reward.ts";
import { azrRewardMachine } from "./azr-reward.ts";
import { proposerMachine } from "./azr-proposer.ts";
import { TaskBuffers } from "../src/tasks/azr/buffer.ts";

/** The training split of the run's corpus, as paragraph texts. */
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

export const generatorFactory: ActorFactory = async (env) => {
  if (env.config.task === "azr") {
    const buffers = env.restore ? TaskBuffers.restore(env.restore) : new TaskBuffers();
    return proposerMachine({ config: env.config, buffers, checkpoint: env.checkpoint });
  }
  return generatorMachine({ config: env.config, corpus: await trainPassages(env.config) });
};

export const predictorFactory: ActorFactory = (env) => predictorMachine({ config: env.config });

export const rewardFactory: ActorFactory = async (env) => {
  if (env.config.task === "azr") {
    const { createPythonExecutor } = await import("../src/exec/index.ts");
    const a = env.config.azr;
    const exec = createPythonExecutor({ poolSize: a.poolSize, limits: { timeoutMs: a.timeoutMs, memoryMb: a.memoryMb } });
    env.onStop(() => exec.close());
    return azrRewardMachine({ config: env.config, exec });
  }
  return rewardMachine({ config: env.config });
};

export const learnerFactory: ActorFactory = async (env) => {
  const backend = await createBackend(env.config);
  let resume: { step: number; version: number; lastStats?: StepStats } | undefined;
  if (env.restore) {
    const saved = decodeValue(env.restore) as { step: number; version: number; lastStats: StepStats | null; backend: Uint8Array };
    backend.restore(saved.backend);
    resume = { step: saved.step, version: saved.version, lastStats: saved.lastStats ?? undefined };
  }
  return learnerMachine({ config: env.config, backend, checkpoint: env.checkpoint, timing: env.timing, resume });
};

export const ACTORS: Record<ActorId, ActorModule> = {
  generator: { factory: generatorFactory, workerUrl: new URL("./generator.worker.ts", import.meta.url) },
  predictor: { factory: predictorFactory, workerUrl: new URL("./predictor.worker.ts", import.meta.url) },
  reward: { factory: rewardFactory, workerUrl: new URL("./reward.worker.ts", import.meta.url) },
  learner: { factory: learnerFactory, workerUrl: new URL("./learner.worker.ts", import.meta.url) },
};
