// Predictor (mask predictor / solver). For each masked paragraph (or, in Absolute Zero, each chunk
// of solver tasks), ask the learner for G predictions per prompt (a bounded number of requests in
// flight) and forward them to the reward actor. It never sees the hidden answers.

import { assign, setup } from "xstate";
import { messageId, type Masks, type Predictions, type SamplePrompt, type SampleRequest, type SampleResponse, type Tasks } from "../src/protocol/messages.ts";
import type { RunConfig } from "../src/runtime/config.ts";
import { post, type Inbound } from "../src/runtime/host.ts";
import { predictorPrompt } from "../src/tasks/pretrainzero/prompts.ts";

export interface PredictorDeps {
  config: RunConfig;
}

/** One request's worth of prompts: a masked paragraph's masks, or a chunk of AZR solver tasks. */
interface Work {
  step: number;
  version: number;
  /** Paragraph key or AZR chunk key; predictions are keyed by it. */
  group: string;
  prompts: SamplePrompt[];
}

interface PredictorContext {
  config: RunConfig;
  /** Work waiting for a free slot in the request window. */
  queue: Work[];
  inFlight: number;
  /** Request id -> paragraph key, for requests in flight. */
  pending: Record<string, string>;
}

type PredictorEvent = Inbound<Masks> | Inbound<Tasks> | Inbound<SampleResponse>;

function workOf(event: Masks | Tasks, config: RunConfig): Work {
  if (event.type === "masks") {
    return { step: event.step, version: event.version, group: event.passage, prompts: event.masks.map((x) => ({ key: x.maskId, text: predictorPrompt(x.masked, config.template) })) };
  }
  return { step: event.step, version: event.version, group: event.batch, prompts: event.tasks.map((t) => ({ key: t.key, text: t.prompt })) };
}

export function predictorMachine(deps: PredictorDeps) {
  return setup({
    types: { context: {} as PredictorContext, events: {} as PredictorEvent },
    actions: {
      enqueue: assign(({ context, event }) => ({ queue: [...context.queue, workOf(event as Masks | Tasks, context.config)] })),
      /** Nothing to predict (every mask or proposal was invalid): say so at once. */
      passEmpty: ({ context, event, system }) => {
        const w = workOf(event as Masks | Tasks, context.config);
        const out: Predictions = { type: "predictions", step: w.step, passage: w.group, groups: [] };
        post(system, "reward", { ...out, id: messageId(w.step, "predictor", "predictions", w.group) });
      },
      fillWindow: assign(({ context, system }) => {
        const queue = [...context.queue];
        let inFlight = context.inFlight;
        const pending = { ...context.pending };
        while (inFlight < context.config.window && queue.length > 0) {
          const w = queue.shift()!;
          const req: SampleRequest = { type: "sample.request", step: w.step, version: w.version, role: "predictor", prompts: w.prompts, n: context.config.predSamples };
          const id = messageId(w.step, "predictor", "sample.request", w.group);
          post(system, "learner", { ...req, id });
          pending[id] = w.group;
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
      hasNoPrompts: ({ event }) => (event.type === "masks" ? event.masks.length : event.type === "tasks" ? event.tasks.length : 1) === 0,
      isIdle: ({ context }) => context.inFlight === 0 && context.queue.length === 0,
    },
  }).createMachine({
    id: "predictor",
    context: { config: deps.config, queue: [], inFlight: 0, pending: {} },
    initial: "idle",
    on: {
      masks: [
        { guard: "hasNoPrompts", actions: "passEmpty" },
        { target: ".predicting", actions: ["enqueue", "fillWindow"] },
      ],
      tasks: [
        { guard: "hasNoPrompts", actions: "passEmpty" },
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
