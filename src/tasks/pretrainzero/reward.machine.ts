// Mask reward (the reward actor of PretrainZero, its baselines and RPT). Joins each paragraph's
// hidden spans (from the generator) with its predictions (from the predictor), scores both roles
// with the task's scorer, and sends one scored message per paragraph to the learner.

import { assertEvent, assign, setup } from "xstate";
import { messageId, type Predictions, type Scored, type ScoredGroup } from "../../protocol/messages.ts";
import { post, type Inbound } from "../../runtime/host.ts";
import type { Answers } from "./messages.ts";

/** Scores one paragraph: both roles' groups from its hidden spans and its predictions. */
export type MaskScorer = (answers: Answers, predictions: Predictions) => ScoredGroup[];

export interface RewardDeps {
  score: MaskScorer;
}

interface RewardContext {
  score: MaskScorer;
  answers: Record<string, Answers>;
  predictions: Record<string, Predictions>;
}

type RewardEvent = Inbound<Answers> | Inbound<Predictions>;

export function rewardMachine(deps: RewardDeps) {
  return setup({
    types: { context: {} as RewardContext, events: {} as RewardEvent },
    actions: {
      storeAnswers: assign(({ context, event }) => {
        assertEvent(event, "answers");
        return { answers: { ...context.answers, [event.passage]: event } };
      }),
      storePredictions: assign(({ context, event }) => {
        assertEvent(event, "predictions");
        return { predictions: { ...context.predictions, [event.passage]: event } };
      }),
      scoreAndSend: ({ context, event, system }) => {
        const answers = context.answers[event.passage]!;
        const predictions = context.predictions[event.passage]!;
        const groups = context.score(answers, predictions);
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
    context: { score: deps.score, answers: {}, predictions: {} },
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
