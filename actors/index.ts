// How each actor is built from the run configuration, and where its worker entry point lives.
// The generator and reward actors are the task's (src/tasks/registry.ts); the predictor and the
// learner are shared. Only the learner's factory ever creates a model backend (and so ever loads
// onnxruntime).

import type { ActorId, StepStats } from "../src/protocol/messages.ts";
import type { ActorFactory } from "../src/runtime/host.ts";
import type { ActorModule } from "../src/runtime/hub.ts";
import { createBackend } from "../src/backends/index.ts";
import { taskOf } from "../src/tasks/registry.ts";
import { decodeLearnerState, learnerMachine } from "./learner.ts";
import { predictorMachine } from "./predictor.ts";

export const generatorFactory: ActorFactory = (env) => taskOf(env.config).actors.generator(env);

export const predictorFactory: ActorFactory = (env) => predictorMachine({ config: env.config, work: taskOf(env.config).predictorWork });

export const rewardFactory: ActorFactory = (env) => taskOf(env.config).actors.reward(env);

export const learnerFactory: ActorFactory = async (env) => {
  const backend = await createBackend(env.config);
  let resume: { step: number; version: number; lastStats?: StepStats } | undefined;
  if (env.restore) {
    const saved = decodeLearnerState(env.restore);
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
