// Predictor (mask predictor / solver). For each masked paragraph, ask the learner for G predictions
// per mask (a bounded number of requests in flight) and forward them to the reward actor. It never
// sees the hidden spans.

import { assign, setup } from "xstate";
import { messageId, type Masks, type Predictions, type SampleRequest, type SampleResponse } from "../src/protocol/messages.ts";
import type { RunConfig } from "../src/runtime/config.ts";
import { post, type Inbound } from "../src/runtime/host.ts";
import { predictorPrompt } from "../src/tasks/pretrainzero/prompts.ts";

export interface PredictorDeps {
  config: RunConfig;
}

interface PredictorContext {
  config: RunConfig;
  /** Masked paragraphs waiting for a free slot in the request window. */
  queue: Masks[];
  inFlight: number;
  /** Request id -> paragraph key, for requests in flight. */
  pending: Record<string, string>;
}

type PredictorEvent = Inbound<Masks> | Inbound<SampleResponse>;

export function predictorMachine(deps: PredictorDeps) {
  return setup({
    types: { context: {} as PredictorContext, events: {} as PredictorEvent },
    actions: {
      enqueue: assign(({ context, event }) => ({ queue: [...context.queue, event as Masks] })),
      /** A paragraph whose rollouts all failed to mask has nothing to predict; say so at once. */
      passEmpty: ({ event, system }) => {
        const m = event as Masks;
        const out: Predictions = { type: "predictions", step: m.step, passage: m.passage, groups: [] };
        post(system, "reward", { ...out, id: messageId(m.step, "predictor", "predictions", m.passage) });
      },
      fillWindow: assign(({ context, system }) => {
        const queue = [...context.queue];
        let inFlight = context.inFlight;
        const pending = { ...context.pending };
        while (inFlight < context.config.window && queue.length > 0) {
          const m = queue.shift()!;
          const req: SampleRequest = {
            type: "sample.request",
            step: m.step,
            version: m.version,
            role: "predictor",
            prompts: m.masks.map((x) => ({ key: x.maskId, text: predictorPrompt(x.masked, context.config.template) })),
            n: context.config.predSamples,
          };
          const id = messageId(m.step, "predictor", "sample.request", m.passage);
          post(system, "learner", { ...req, id });
          pending[id] = m.passage;
          inFlight++;
        }
        return { queue, inFlight, pending };
      }),
      forwardPredictions: ({ context, event, system }) => {
        const res = event as SampleResponse;
        const passage = context.pending[res.request];
        if (passage === undefined) throw new Error(`predictor: response to unknown request ${res.request}`);
        const out: Predictions = {
          type: "predictions",
          step: res.step,
          passage,
          groups: res.results.map((r) => ({ maskId: r.key, completions: r.completions.map((c) => c.text) })),
        };
        post(system, "reward", { ...out, id: messageId(res.step, "predictor", "predictions", passage) });
      },
      settleResponse: assign(({ context, event }) => {
        const { [(event as SampleResponse).request]: _done, ...pending } = context.pending;
        return { inFlight: context.inFlight - 1, pending };
      }),
    },
    guards: {
      hasNoMasks: ({ event }) => (event as Masks).masks.length === 0,
      isIdle: ({ context }) => context.inFlight === 0 && context.queue.length === 0,
    },
  }).createMachine({
    id: "predictor",
    context: { config: deps.config, queue: [], inFlight: 0, pending: {} },
    initial: "idle",
    on: {
      masks: [
        { guard: "hasNoMasks", actions: "passEmpty" },
        { target: ".predicting", actions: ["enqueue", "fillWindow"] },
      ],
    },
    states: {
      idle: {},
      predicting: {
        always: { guard: "isIdle", target: "idle" },
        on: {
          "sample.response": { actions: ["forwardPredictions", "settleResponse", "fillWindow"] },
        },
      },
    },
  });
}
