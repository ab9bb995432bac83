// Reward. Joins each paragraph's hidden spans (from the generator) with its predictions (from the
// predictor), scores both roles, and sends one scored message per paragraph to the learner.

import { assign, setup } from "xstate";
import { messageId, type Answers, type Predictions, type Scored } from "../src/protocol/messages.ts";
import type { RunConfig } from "../src/runtime/config.ts";
import { post, type Inbound } from "../src/runtime/host.ts";
import { scorePassage } from "../src/tasks/pretrainzero/score.ts";
import type { RewardDesign } from "../src/tasks/pretrainzero/rewards.ts";

export interface RewardDeps {
  config: RunConfig;
  /** Overrides config.design; replay uses it to ask "what if the reward had been different". */
  design?: RewardDesign;
}

interface RewardContext {
  design: RewardDesign;
  answers: Record<string, Answers>;
  predictions: Record<string, Predictions>;
}

type RewardEvent = Inbound<Answers> | Inbound<Predictions>;

export function rewardMachine(deps: RewardDeps) {
  return setup({
    types: { context: {} as RewardContext, events: {} as RewardEvent },
    actions: {
      storeAnswers: assign(({ context, event }) => ({
        answers: { ...context.answers, [event.passage]: event as Answers },
      })),
      storePredictions: assign(({ context, event }) => ({
        predictions: { ...context.predictions, [event.passage]: event as Predictions },
      })),
      scoreAndSend: ({ context, event, system }) => {
        const answers = context.answers[event.passage]!;
        const predictions = context.predictions[event.passage]!;
        const groups = scorePassage({
          passageKey: answers.passage,
          masks: answers.answers.map((a) => ({ maskKey: a.maskId, span: a.span, masked: a.span === null ? null : "" })),
          predictions: new Map(predictions.groups.map((g) => [g.maskId, g.completions])),
          design: context.design,
        });
        const scored: Scored = { type: "scored", step: answers.step, passage: answers.passage, groups };
        post(system, "learner", { ...scored, id: messageId(scored.step, "reward", "scored", scored.passage) });
      },
      forget: assign(({ context, event }) => {
        const { [event.passage]: _a, ...answers } = context.answers;
        const { [event.passage]: _p, ...predictions } = context.predictions;
        return { answers, predictions };
      }),
    },
    guards: {
      // Checked before this event's half is stored: the other half is already here.
      otherHalfHere: ({ context, event }) =>
        (event.type === "answers" ? context.predictions : context.answers)[event.passage] !== undefined,
    },
  }).createMachine({
    id: "reward",
    context: { design: deps.design ?? deps.config.design, answers: {}, predictions: {} },
    initial: "joining",
    states: {
      joining: {
        on: {
          answers: [{ guard: "otherHalfHere", actions: ["storeAnswers", "scoreAndSend", "forget"] }, { actions: "storeAnswers" }],
          predictions: [{ guard: "otherHalfHere", actions: ["storePredictions", "scoreAndSend", "forget"] }, { actions: "storePredictions" }],
        },
      },
    },
  });
}
