// Predictor (mask predictor / solver), shared by every task. For each message the task sends it
// (a masked paragraph, a chunk of Absolute Zero solver tasks...), the task turns it into prompts;
// the predictor asks the learner for G completions per prompt (a bounded number of requests in
// flight) and forwards them to the reward actor. It never sees the hidden answers.

import { assertEvent, assign, setup } from "xstate";
import { messageId, type Message, type Predictions, type SampleRequest } from "../src/protocol/messages.ts";
import type { RunConfig } from "../src/runtime/config.ts";
import { post, type Inbound, type Outbound } from "../src/runtime/host.ts";
import { fillWindow } from "../src/runtime/request-window.ts";
import type { PredictorWork as Work, Task } from "../src/tasks/task.ts";

export interface PredictorDeps {
  config: RunConfig;
  /** The task's prompts per message type it sends the predictor. */
  work: Task["predictorWork"];
}

interface PredictorContext {
  config: RunConfig;
  /** Work waiting for a free slot in the request window. */
  queue: Work[];
  inFlight: number;
  /** Request id -> paragraph key, for requests in flight. */
  pending: Record<string, string>;
  /** The requests the last fillWindow decided on; sendRequests posts them to the learner. */
  outbox: Outbound<SampleRequest>[];
}

type PredictorEvent = Inbound<Message>;

/** fillWindow then sendRequests: the assign decides, the plain action posts (in that order). */
const FILL_AND_SEND = ["fillWindow", { type: "sendRequests", params: ({ context }: { context: PredictorContext }) => ({ requests: context.outbox }) }] as const;

export function predictorMachine(deps: PredictorDeps) {
  const workOf = (event: Message, config: RunConfig): Work => {
    const make = deps.work[event.type];
    if (!make) throw new Error(`predictor: the task sends no work as "${event.type}"`);
    return make(event as never, config);
  };
  // Every message type the task sends the predictor starts a request; sample.response settles one.
  const workEvents = Object.fromEntries(
    Object.keys(deps.work).map((type) => [
      type,
      [
        { guard: "hasNoPrompts", actions: "passEmpty" },
        { target: ".predicting", actions: ["enqueue", ...FILL_AND_SEND] },
      ],
    ]),
  );

  return setup({
    types: { context: {} as PredictorContext, events: {} as PredictorEvent },
    actions: {
      enqueue: assign(({ context, event }) => ({ queue: [...context.queue, workOf(event, context.config)] })),
      /** Nothing to predict (every mask or proposal was invalid): say so at once. */
      passEmpty: ({ context, event, system }) => {
        const w = workOf(event, context.config);
        const out: Predictions = { type: "predictions", step: w.step, passage: w.group, groups: [] };
        post(system, "reward", { ...out, id: messageId(w.step, "predictor", "predictions", w.group) });
      },
      /** Decide the requests that fill the window (posted by sendRequests, never from an assign). */
      fillWindow: assign(({ context }) => {
        const { toSend, inFlight } = fillWindow({ inFlight: context.inFlight, next: 0, window: context.config.window, total: context.queue.length });
        const sent = context.queue.slice(0, toSend.length);
        const pending = { ...context.pending };
        const outbox = sent.map((w): Outbound<SampleRequest> => {
          const req: SampleRequest = { type: "sample.request", step: w.step, version: w.version, role: "predictor", prompts: w.prompts, n: context.config.predSamples };
          const id = messageId(w.step, "predictor", "sample.request", w.group);
          pending[id] = w.group;
          return { ...req, id };
        });
        return { queue: context.queue.slice(sent.length), inFlight, pending, outbox };
      }),
      sendRequests: ({ system }, { requests }: { requests: PredictorContext["outbox"] }) => {
        for (const req of requests) post(system, "learner", req);
      },
      forwardPredictions: ({ context, event, system }) => {
        assertEvent(event, "sample.response");
        const res = event;
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
        assertEvent(event, "sample.response");
        const { [event.request]: _done, ...pending } = context.pending;
        return { inFlight: context.inFlight - 1, pending };
      }),
    },
    guards: {
      hasNoPrompts: ({ context, event }) => workOf(event, context.config).prompts.length === 0,
      isIdle: ({ context }) => context.inFlight === 0 && context.queue.length === 0,
    },
  }).createMachine({
    id: "predictor",
    context: { config: deps.config, queue: [], inFlight: 0, pending: {}, outbox: [] },
    initial: "idle",
    on: workEvents,
    states: {
      idle: {},
      predicting: {
        always: { guard: "isIdle", target: "idle" },
        on: {
          "sample.response": { actions: ["forwardPredictions", "settleResponse", ...FILL_AND_SEND] },
        },
      },
    },
  });
}
