// The paper's RL-pretraining baselines (PretrainZero, arXiv 2512.03442 §4.1) as tasks: the masks
// come from a rule instead of the policy, so only the predictor trains.

import type { Task } from "../task.ts";
import { maskGenerator, maskReward, maskWork, MASK_TASK_BASE, pretrainZeroScorer } from "../pretrainzero/task.ts";
import { predictorPrompt } from "../pretrainzero/prompts.ts";
import { entropyMask, nextTokenMask, randomSpanMask } from "./masks.ts";

const BASELINE = {
  ...MASK_TASK_BASE,
  simulator: "the simulator plays pretrainzero only (its --design random is random masking)",
  trainRoles: () => ["predictor"],
  predictorWork: { masks: maskWork((masked, c) => predictorPrompt(masked, c.template)) },
} as const satisfies Partial<Task>;

export const RANDOM_SPAN: Task = {
  ...BASELINE,
  name: "random-span",
  summary: "baseline: SpanBERT-style random spans (geometric length, whole words); only the predictor trains",
  actors: {
    generator: maskGenerator((c) => ({ kind: "rule", rngRole: "random-span", make: (passage, r) => randomSpanMask(passage, r, c.maxOccurrences) })),
    reward: maskReward(pretrainZeroScorer),
  },
};

export const NEXT_TOKEN: Task = {
  ...BASELINE,
  name: "next-token",
  summary: "baseline: cut each paragraph at a random word and predict the next word; only the predictor trains",
  actors: {
    generator: maskGenerator(() => ({ kind: "rule", rngRole: "next-token", make: nextTokenMask })),
    reward: maskReward(pretrainZeroScorer),
  },
};

export const ENTROPY: Task = {
  ...BASELINE,
  name: "entropy",
  summary: "baseline: cut before a word among the policy's top-20% next-token entropies (as RPT); only the predictor trains",
  actors: {
    generator: maskGenerator(() => ({ kind: "entropy", rngRole: "entropy-pick", make: (passage, h, r) => entropyMask(passage, h, r) })),
    reward: maskReward(pretrainZeroScorer),
  },
};
