// Generator (mask generator / proposer). Per step: take the step's paragraphs, ask the learner for
// n rollouts each (a bounded number of requests in flight), parse the masks, send the masked
// paragraphs to the predictor and the hidden spans to the reward actor.

import { assign, setup } from "xstate";
import { chunked, passagesForStep, type StepPassage } from "../src/data/passages.ts";
import { messageId, type PolicyVersion, type SampleRequest, type SampleResponse } from "../src/protocol/messages.ts";
import type { RunConfig } from "../src/runtime/config.ts";
import { post, type Inbound } from "../src/runtime/host.ts";
import { generatorPrompt } from "../src/tasks/pretrainzero/prompts.ts";
import { masksForPassage } from "../src/tasks/pretrainzero/score.ts";

export interface GeneratorDeps {
  config: RunConfig;
  corpus: readonly string[];
}

interface GeneratorContext {
  config: RunConfig;
  corpus: readonly string[];
  step: number;
  version: number;
  passages: Map<string, string>;
  chunks: StepPassage[][];
  nextChunk: number;
  inFlight: number;
  answered: number;
}

type GeneratorEvent = Inbound<PolicyVersion> | Inbound<SampleResponse>;

export function generatorMachine(deps: GeneratorDeps) {
  return setup({
    types: { context: {} as GeneratorContext, events: {} as GeneratorEvent },
    actions: {
      beginStep: assign(({ context, event }) => {
        const v = event as PolicyVersion;
        const passages = passagesForStep(context.corpus, context.config.seed, v.step, context.config.passages);
        return {
          step: v.step,
          version: v.version,
          passages: new Map(passages.map((p) => [p.key, p.text])),
          chunks: chunked(passages, context.config.chunk),
          nextChunk: 0,
          inFlight: 0,
          answered: 0,
        };
      }),
      /** Send requests until the window is full or every chunk is asked for. */
      fillWindow: assign(({ context, system }) => {
        let { nextChunk, inFlight } = context;
        while (inFlight < context.config.window && nextChunk < context.chunks.length) {
          const chunk = context.chunks[nextChunk]!;
          const req: SampleRequest = {
            type: "sample.request",
            step: context.step,
            version: context.version,
            role: "generator",
            prompts: chunk.map((p) => ({ key: p.key, text: generatorPrompt(p.text, context.config.template) })),
            n: context.config.genSamples,
          };
          post(system, "learner", { ...req, id: messageId(context.step, "generator", "sample.request", `c${nextChunk}`) });
          nextChunk++;
          inFlight++;
        }
        return { nextChunk, inFlight };
      }),
      emitMasks: ({ context, event, system }) => {
        const res = event as SampleResponse;
        for (const r of res.results) {
          const passage = context.passages.get(r.key);
          if (passage === undefined) throw new Error(`generator: response ${res.request} names unknown passage ${r.key}`);
          const outcomes = masksForPassage({
            passageKey: r.key,
            passage,
            completions: r.completions.map((c) => c.text),
            mask: { maxOccurrences: context.config.maxOccurrences, mode: context.config.maskMode },
            seed: context.config.seed,
            step: context.step,
          });
          // The predictor sees only masked text; the spans go to the reward actor alone.
          const masks = outcomes.filter((o) => o.masked !== null).map((o) => ({ maskId: o.maskKey, masked: o.masked! }));
          const answers = outcomes.map((o) =>
            o.masked !== null ? { maskId: o.maskKey, span: o.span } : { maskId: o.maskKey, span: null, invalid: o.invalid },
          );
          const step = context.step;
          post(system, "predictor", {
            type: "masks", step, version: context.version, passage: r.key, masks,
            id: messageId(step, "generator", "masks", r.key),
          });
          post(system, "reward", { type: "answers", step, passage: r.key, answers, id: messageId(step, "generator", "answers", r.key) });
        }
      },
      settleResponse: assign(({ context }) => ({ inFlight: context.inFlight - 1, answered: context.answered + 1 })),
    },
    guards: {
      isFinalVersion: ({ context, event }) => (event as PolicyVersion).step >= context.config.steps,
      isCurrentStep: ({ context, event }) => event.step === context.step,
      allAnswered: ({ context }) => context.answered === context.chunks.length,
    },
  }).createMachine({
    id: "generator",
    context: {
      config: deps.config,
      corpus: deps.corpus,
      step: -1,
      version: -1,
      passages: new Map(),
      chunks: [],
      nextChunk: 0,
      inFlight: 0,
      answered: 0,
    },
    initial: "waitingForPolicy",
    states: {
      waitingForPolicy: {
        on: {
          "policy.version": [
            { guard: "isFinalVersion", target: "finished" },
            { target: "sampling", actions: ["beginStep", "fillWindow"] },
          ],
        },
      },
      sampling: {
        always: { guard: "allAnswered", target: "waitingForPolicy" },
        on: {
          "sample.response": { guard: "isCurrentStep", actions: ["emitMasks", "settleResponse", "fillWindow"] },
        },
      },
      finished: { type: "final" },
    },
  });
}
