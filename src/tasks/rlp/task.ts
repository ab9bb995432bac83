// RLP, Reinforcement Learning Pre-training (arXiv 2510.01265), as a task: before the next word of a
// paragraph the policy writes a thought; the thought is rewarded by how much it raises the
// probability of the actual next word over a no-think prediction of a slowly moving average of the
// policy (τ = 0.999). Only the thinking (predictor) role trains.

import type { RunConfig } from "../../runtime/config.ts";
import type { Task, TaskFlag } from "../task.ts";
import { RLP_MESSAGES, type Contexts } from "./messages.ts";
import { thoughtPrompt, THINK_CLOSE } from "./reward.ts";

export type RlpOptions = {
  /** Decay of the baseline's moving average of the weights (paper: τ = 0.999). */
  emaDecay: number;
  /** Positions per paragraph and step. */
  positions: number;
  /** Words of context before the first position. */
  minContext: number;
};

const DEFAULTS: RlpOptions = { emaDecay: 0.999, positions: 1, minContext: 8 };

const FLAGS: TaskFlag[] = [
  { name: "rlp-ema-decay", option: "emaDecay", type: "number", min: 0, max: 1, default: DEFAULTS.emaDecay, help: "task rlp: decay of the no-think baseline's moving average of the weights (paper: 0.999)" },
  { name: "rlp-positions", option: "positions", type: "int", min: 1, max: 64, default: DEFAULTS.positions, help: "task rlp: next-word positions per paragraph and step" },
  { name: "rlp-min-context", option: "minContext", type: "int", min: 1, default: DEFAULTS.minContext, help: "task rlp: words of context before the earliest position" },
];

export function rlpOptions(config: RunConfig): RlpOptions {
  return { ...DEFAULTS, ...(config.taskOptions as Partial<RlpOptions>) };
}

export const RLP: Task = {
  name: "rlp",
  summary: "RLP: think before the next word; the reward is the thought's information gain over a no-think EMA baseline; only the thinking role trains",
  defaults: DEFAULTS,
  flags: FLAGS,
  // Thoughts end at </think>, not at a newline.
  runDefaults: { maxNewTokens: { predictor: 32 }, stopStrings: [THINK_CLOSE] },
  simulator: "the simulator's policies have no log-probabilities of text to reward a thought with",
  usesCorpus: true,
  trainRoles: () => ["predictor"],
  advantage: "group",
  scoredPerStep: (c) => c.passages,
  episodesPerStep: (c) => c.passages * rlpOptions(c).positions * c.predSamples,
  statefulActors: {},
  messages: RLP_MESSAGES,
  predictorWork: {
    contexts: (m: Contexts) => ({ step: m.step, version: m.version, group: m.group, prompts: m.items.map((it) => ({ key: it.key, text: thoughtPrompt(it.context) })) }),
  },
  actors: {
    generator: async (env) => {
      const [{ rlpGeneratorMachine }, { trainPassages }] = await Promise.all([import("./generator.machine.ts"), import("../../data/train-passages.ts")]);
      const o = rlpOptions(env.config);
      return rlpGeneratorMachine({ config: env.config, corpus: await trainPassages(env.config), positions: o.positions, minContext: o.minContext, replica: env.replica });
    },
    reward: async () => {
      const { rlpRewardMachine } = await import("./reward.machine.ts");
      return rlpRewardMachine();
    },
  },
  backend: (c) => ({ emaDecay: rlpOptions(c).emaDecay }),
  inspector: { episodeTypes: [] },
};
