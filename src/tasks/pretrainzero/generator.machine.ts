// Mask generator (the generator actor of PretrainZero, its baselines and RPT). Per step: take the
// step's paragraphs, get n masks of each from the task's mask source, send the masked paragraphs
// to the predictor and the hidden spans to the reward actor. The source is the policy itself
// (PretrainZero: n rollouts per paragraph, a bounded number of requests in flight), a rule that
// needs no policy (random span, next token), or a rule over the learner's per-word entropies.

import { assertEvent, assign, setup } from "xstate";
import { chunked, passagesForStep, type StepPassage } from "../../data/passages.ts";
import { messageId, type EntropyRequest, type EntropyResponse, type PolicyVersion, type SampleRequest, type SampleResponse } from "../../protocol/messages.ts";
import type { MaskAnswer, MaskedPassage } from "./messages.ts";
import type { AnyActorRef } from "xstate";
import { rng, type Rng } from "../../runtime/rng.ts";
import type { RunConfig } from "../../runtime/config.ts";
import { post, type Inbound, type Outbound } from "../../runtime/host.ts";
import { fillWindow } from "../../runtime/request-window.ts";
import { generatorPrompt } from "./prompts.ts";
import { maskOptionsOf } from "./mask.ts";
import { masksForPassage } from "./score.ts";
import { SINGLE, type Replica } from "../../runtime/routing.ts";

/** A mask cut by a rule: the hidden span and the text the predictor sees. */
export interface LocalMask {
  span: string;
  masked: string;
}

/** Where a paragraph's n masks come from. `rngRole` names the rule's random stream. */
export type MaskSource =
  | { kind: "policy" }
  | { kind: "rule"; rngRole: string; make(passage: string, r: Rng): LocalMask | null }
  | { kind: "entropy"; rngRole: string; make(passage: string, entropies: readonly number[], r: Rng): LocalMask | null };

export interface GeneratorDeps {
  config: RunConfig;
  corpus: readonly string[];
  source: MaskSource;
  /** This replica serves the step's chunks ≡ index (mod count); ids keep the chunk's step-wide index. */
  replica?: Replica;
}

interface GeneratorContext {
  config: RunConfig;
  source: MaskSource;
  corpus: readonly string[];
  replica: Replica;
  step: number;
  version: number;
  /** This replica's paragraphs of the step. */
  passages: Map<string, string>;
  chunks: StepPassage[][];
  /** The step-wide indices of this replica's chunks. */
  mine: number[];
  /** Next position in `mine` to request. */
  nextChunk: number;
  inFlight: number;
  answered: number;
  /** The requests the last fillWindow decided on; sendRequests posts them to the learner. */
  outbox: Outbound<SampleRequest | EntropyRequest>[];
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

/** The learner request for chunk `c` of the step: per-word entropies or the policy's masks. */
function chunkRequest(ctx: GeneratorContext, c: number): Outbound<SampleRequest | EntropyRequest> {
  const chunk = ctx.chunks[c]!;
  if (ctx.source.kind === "entropy") {
    const req: EntropyRequest = { type: "entropy.request", step: ctx.step, version: ctx.version, prompts: chunk.map((p) => ({ key: p.key, text: p.text })) };
    return { ...req, id: messageId(ctx.step, "generator", "entropy.request", `c${c}`) };
  }
  const req: SampleRequest = {
    type: "sample.request",
    step: ctx.step,
    version: ctx.version,
    role: "generator",
    prompts: chunk.map((p) => ({ key: p.key, text: generatorPrompt(p.text, ctx.config.template) })),
    n: ctx.config.genSamples,
  };
  return { ...req, id: messageId(ctx.step, "generator", "sample.request", `c${c}`) };
}

/** fillWindow then sendRequests: the assign decides, the plain action posts (in that order). */
const FILL_AND_SEND = ["fillWindow", { type: "sendRequests", params: ({ context }: { context: GeneratorContext }) => ({ requests: context.outbox }) }] as const;

export function generatorMachine(deps: GeneratorDeps) {
  return setup({
    types: { context: {} as GeneratorContext, events: {} as GeneratorEvent },
    actions: {
      beginStep: assign(({ context, event }) => {
        assertEvent(event, "policy.version");
        const passages = passagesForStep(context.corpus, context.config.seed, event.step, context.config.passages);
        const chunks = chunked(passages, context.config.chunk);
        const { index, count } = context.replica;
        const mine = chunks.map((_, c) => c).filter((c) => c % count === index);
        return {
          step: event.step,
          version: event.version,
          passages: new Map(mine.flatMap((c) => chunks[c]!.map((p): [string, string] => [p.key, p.text]))),
          chunks,
          mine,
          nextChunk: 0,
          inFlight: 0,
          answered: 0,
        };
      }),
      /** Decide the requests that fill the window (posted by sendRequests, never from an assign). */
      fillWindow: assign(({ context }) => {
        const w = fillWindow({ inFlight: context.inFlight, next: context.nextChunk, window: context.config.window, total: context.mine.length });
        return { nextChunk: w.next, inFlight: w.inFlight, outbox: w.toSend.map((i) => chunkRequest(context, context.mine[i]!)) };
      }),
      sendRequests: ({ system }, { requests }: { requests: GeneratorContext["outbox"] }) => {
        for (const req of requests) post(system, "learner", req);
      },
      emitMasks: ({ context, event, system }) => {
        assertEvent(event, "sample.response");
        const res = event;
        for (const r of res.results) {
          const passage = context.passages.get(r.key);
          if (passage === undefined) throw new Error(`generator: response ${res.request} names unknown passage ${r.key}`);
          const outcomes = masksForPassage({
            passageKey: r.key,
            passage,
            completions: r.completions.map((c) => c.text),
            mask: maskOptionsOf(context.config),
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
        assertEvent(event, "entropy.response");
        const res = event;
        const source = context.source;
        if (source.kind !== "entropy") throw new Error(`generator: entropy response ${res.request} to a ${source.kind} mask source`);
        for (const r of res.results) {
          const passage = context.passages.get(r.key);
          if (passage === undefined) throw new Error(`generator: response ${res.request} names unknown passage ${r.key}`);
          postLocalMasks(system, context, r.key, (i) =>
            source.make(passage, r.entropies, rng({ seed: context.config.seed, step: context.step, role: source.rngRole, item: r.key, sample: i })),
          );
        }
      },
      /** Rules that need no policy: every paragraph's masks at once. */
      emitRuleMasks: ({ context, system }) => {
        const source = context.source;
        if (source.kind !== "rule") return;
        for (const [key, passage] of context.passages) {
          postLocalMasks(system, context, key, (i) => source.make(passage, rng({ seed: context.config.seed, step: context.step, role: source.rngRole, item: key, sample: i })));
        }
      },
      settleResponse: assign(({ context }) => ({ inFlight: context.inFlight - 1, answered: context.answered + 1 })),
    },
    guards: {
      isFinalVersion: ({ context, event }) => {
        assertEvent(event, "policy.version");
        return event.step >= context.config.steps;
      },
      isRuleSource: ({ context }) => context.source.kind === "rule",
      isCurrentStep: ({ context, event }) => event.step === context.step,
      allAnswered: ({ context }) => context.answered === context.mine.length,
    },
  }).createMachine({
    id: "generator",
    context: {
      config: deps.config,
      source: deps.source,
      corpus: deps.corpus,
      replica: deps.replica ?? SINGLE,
      step: -1,
      version: -1,
      passages: new Map(),
      chunks: [],
      mine: [],
      nextChunk: 0,
      inFlight: 0,
      answered: 0,
      outbox: [],
    },
    initial: "waitingForPolicy",
    states: {
      waitingForPolicy: {
        on: {
          "policy.version": [
            { guard: "isFinalVersion", target: "finished" },
            { guard: "isRuleSource", actions: ["beginStep", "emitRuleMasks"] },
            { target: "sampling", actions: ["beginStep", ...FILL_AND_SEND] },
          ],
        },
      },
      sampling: {
        always: { guard: "allAnswered", target: "waitingForPolicy" },
        on: {
          "sample.response": { guard: "isCurrentStep", actions: ["emitMasks", "settleResponse", ...FILL_AND_SEND] },
          "entropy.response": { guard: "isCurrentStep", actions: ["emitEntropyMasks", "settleResponse", ...FILL_AND_SEND] },
        },
      },
      finished: { type: "final" },
    },
  });
}
