// Generator (mask generator / proposer). Per step: take the step's paragraphs, ask the learner for
// n rollouts each (a bounded number of requests in flight), parse the masks, send the masked
// paragraphs to the predictor and the hidden spans to the reward actor. Baseline tasks make their
// masks here instead: at random, or (entropy) from the learner's per-word uncertainty.

import { assign, setup } from "xstate";
import { chunked, passagesForStep, type StepPassage } from "../src/data/passages.ts";
import {
  messageId,
  type EntropyRequest,
  type EntropyResponse,
  type MaskAnswer,
  type MaskedPassage,
  type PolicyVersion,
  type SampleRequest,
  type SampleResponse,
} from "../src/protocol/messages.ts";
import type { AnyActorRef } from "xstate";
import { rng } from "../src/runtime/rng.ts";
import { entropyMask, nextTokenMask, randomSpanMask, type LocalMask } from "../src/tasks/baselines/masks.ts";
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

type GeneratorEvent = Inbound<PolicyVersion> | Inbound<SampleResponse> | Inbound<EntropyResponse>;

type System = { get(id: string): AnyActorRef | undefined };

/** Masked text to the predictor, hidden spans to the reward actor only. */
function postMasks(system: System, ctx: GeneratorContext, passage: string, masks: MaskedPassage[], answers: MaskAnswer[]): void {
  const step = ctx.step;
  post(system, "predictor", { type: "masks", step, version: ctx.version, passage, masks, id: messageId(step, "generator", "masks", passage) });
  post(system, "reward", { type: "answers", step, passage, answers, id: messageId(step, "generator", "answers", passage) });
}

/** n masks of a paragraph made by a baseline rule; a paragraph the rule cannot cut is an invalid mask. */
function postLocalMasks(system: System, ctx: GeneratorContext, key: string, make: (i: number) => LocalMask | null): void {
  const masks: MaskedPassage[] = [];
  const answers: MaskAnswer[] = [];
  for (let i = 0; i < ctx.config.genSamples; i++) {
    const maskId = `${key}/g${i}`;
    const m = make(i);
    if (!m) {
      answers.push({ maskId, span: null, invalid: "no-span" });
      continue;
    }
    masks.push({ maskId, masked: m.masked });
    answers.push({ maskId, span: m.span });
  }
  postMasks(system, ctx, key, masks, answers);
}

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
          if (context.config.task === "entropy") {
            const req: EntropyRequest = { type: "entropy.request", step: context.step, version: context.version, prompts: chunk.map((p) => ({ key: p.key, text: p.text })) };
            post(system, "learner", { ...req, id: messageId(context.step, "generator", "entropy.request", `c${nextChunk}`) });
          } else {
            const req: SampleRequest = {
              type: "sample.request",
              step: context.step,
              version: context.version,
              role: "generator",
              prompts: chunk.map((p) => ({ key: p.key, text: generatorPrompt(p.text, context.config.template) })),
              n: context.config.genSamples,
            };
            post(system, "learner", { ...req, id: messageId(context.step, "generator", "sample.request", `c${nextChunk}`) });
          }
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
          const masks = outcomes.filter((o) => o.masked !== null).map((o) => ({ maskId: o.maskKey, masked: o.masked! }));
          const answers = outcomes.map((o) =>
            o.masked !== null ? { maskId: o.maskKey, span: o.span } : { maskId: o.maskKey, span: null, invalid: o.invalid },
          );
          postMasks(system, context, r.key, masks, answers);
        }
      },
      emitEntropyMasks: ({ context, event, system }) => {
        const res = event as EntropyResponse;
        for (const r of res.results) {
          const passage = context.passages.get(r.key);
          if (passage === undefined) throw new Error(`generator: response ${res.request} names unknown passage ${r.key}`);
          postLocalMasks(system, context, r.key, (i) =>
            entropyMask(passage, r.entropies, rng({ seed: context.config.seed, step: context.step, role: "entropy-pick", item: r.key, sample: i })),
          );
        }
      },
      /** Baselines that need no policy: every paragraph's masks at once. */
      emitLocalMasks: ({ context, system }) => {
        const task = context.config.task;
        for (const [key, passage] of context.passages) {
          postLocalMasks(system, context, key, (i) => {
            const r = rng({ seed: context.config.seed, step: context.step, role: task, item: key, sample: i });
            return task === "random-span" ? randomSpanMask(passage, r, context.config.maxOccurrences) : nextTokenMask(passage, r);
          });
        }
      },
      settleResponse: assign(({ context }) => ({ inFlight: context.inFlight - 1, answered: context.answered + 1 })),
    },
    guards: {
      isFinalVersion: ({ context, event }) => (event as PolicyVersion).step >= context.config.steps,
      isLocalTask: ({ context }) => context.config.task === "random-span" || context.config.task === "next-token",
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
            { guard: "isLocalTask", actions: ["beginStep", "emitLocalMasks"] },
            { target: "sampling", actions: ["beginStep", "fillWindow"] },
          ],
        },
      },
      sampling: {
        always: { guard: "allAnswered", target: "waitingForPolicy" },
        on: {
          "sample.response": { guard: "isCurrentStep", actions: ["emitMasks", "settleResponse", "fillWindow"] },
          "entropy.response": { guard: "isCurrentStep", actions: ["emitEntropyMasks", "settleResponse", "fillWindow"] },
        },
      },
      finished: { type: "final" },
    },
  });
}
