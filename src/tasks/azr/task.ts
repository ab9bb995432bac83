// Absolute Zero (arXiv 2505.03335) as a task: the generator actor proposes Python tasks of three
// types, the reward actor validates them and checks solutions in a sandbox, and both roles train
// with TRR++ advantages (per task type and role).

import type { Task } from "../task.ts";
import { TaskBuffers } from "./buffer.ts";
import { stateBytes } from "../../runtime/actor-state.ts";
import { AzrObserver } from "./observer.ts";
import { AZR_MESSAGES, type Tasks } from "./messages.ts";
import { AZR_DEFAULTS, AZR_FLAGS, azrOptions } from "./options.ts";
import { AZR_TASK_TYPES } from "./types.ts";

export const AZR: Task = {
  name: "azr",
  summary: "Absolute Zero: the policy proposes Python tasks (deduction, abduction, induction) and solves them; a sandbox verifies; default model fixtures/python-model",
  defaults: AZR_DEFAULTS,
  flags: AZR_FLAGS,
  // Proposer prompts per task type; programs need more room than spans, and span several lines.
  // The shipped model pretrained with Python (fixtures/README.md): the Factbook one never saw code.
  runDefaults: { passages: 4, maxNewTokens: { generator: 96, predictor: 48 }, stopStrings: [], modelDir: "fixtures/python-model" },
  simulator: "the simulator's policies write masks, not programs",
  usesCorpus: false,
  trainRoles: () => ["generator", "predictor"],
  advantage: "trr",
  // One scored message per proposer chunk; chunks never mix task types.
  scoredPerStep: (c) => AZR_TASK_TYPES.length * Math.ceil(c.passages / c.chunk),
  episodesPerStep: (c) => AZR_TASK_TYPES.length * c.passages * c.genSamples,
  // The proposer's reference buffers grow every step.
  statefulActors: { generator: (state) => void TaskBuffers.restore(state) },
  observer: () => new AzrObserver(),
  messages: AZR_MESSAGES,
  predictorWork: {
    tasks: (m: Tasks) => ({ step: m.step, version: m.version, group: m.batch, prompts: m.tasks.map((t) => ({ key: t.key, text: t.prompt })) }),
  },
  actors: {
    generator: async (env) => {
      const { proposerMachine } = await import("./proposer.machine.ts");
      const buffers = env.restore ? TaskBuffers.restore(stateBytes(env.restore, "AZR buffers")) : new TaskBuffers();
      return proposerMachine({ config: env.config, buffers, checkpoint: env.checkpoint });
    },
    reward: async (env) => {
      const [{ createPythonExecutor }, { azrRewardMachine }] = await Promise.all([import("../../exec/index.ts"), import("./reward.machine.ts")]);
      const a = azrOptions(env.config);
      const exec = createPythonExecutor({ poolSize: a.poolSize, limits: { timeoutMs: a.timeoutMs, memoryMb: a.memoryMb } });
      env.onStop(() => exec.close());
      return azrRewardMachine({ config: env.config, exec });
    },
  },
  inspector: { episodeTypes: [] },
};
