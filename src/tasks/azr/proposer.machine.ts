// Absolute Zero proposer (the generator actor of task azr). Per step and task type: show the
// policy K reference triplets from its buffer, ask for proposals (bounded requests in flight), parse
// them, and send them to the reward actor, which validates them in the sandbox. Valid triplets come
// back as `validated` and grow the buffers, which are checkpointed at every step start.

import { assertEvent, assign, setup } from "xstate";
import { messageId, type PolicyVersion, type SampleRequest, type SampleResponse } from "../../protocol/messages.ts";
import type { Proposals, Validated } from "./messages.ts";
import { azrOptions } from "./options.ts";
import type { RunConfig } from "../../runtime/config.ts";
import { post, type Inbound, type Outbound } from "../../runtime/host.ts";
import { fillWindow } from "../../runtime/request-window.ts";
import { rng } from "../../runtime/rng.ts";
import { TaskBuffers } from "./buffer.ts";
import { parseProposal } from "./parse.ts";
import { inductionProgram, proposerPrompt } from "./prompts.ts";
import { AZR_TASK_TYPES, type AzrTaskType } from "./types.ts";

export interface ProposerDeps {
  config: RunConfig;
  buffers: TaskBuffers;
  /** Hand the buffers to the supervisor; they cover every message before `step`. */
  checkpoint(step: number, state: Uint8Array): void;
}

interface ProposerItem {
  key: string;
  prompt: string;
  /** Induction: the program the proposer writes inputs for. */
  program?: string;
}

interface ProposerChunk {
  batch: string;
  type: AzrTaskType;
  items: ProposerItem[];
}

interface ProposerContext {
  config: RunConfig;
  /**
   * The one mutable resource the proposer owns: only the plain action addValidated writes it (never
   * an assign), beginStep reads it, and checkpointBuffers snapshots it at every step start.
   */
  buffers: TaskBuffers;
  step: number;
  version: number;
  chunks: ProposerChunk[];
  nextChunk: number;
  inFlight: number;
  answered: number;
  /** Request id -> chunk index. */
  pending: Record<string, number>;
  /** The requests the last fillWindow decided on; sendRequests posts them to the learner. */
  outbox: Outbound<SampleRequest>[];
}

type ProposerEvent = Inbound<PolicyVersion> | Inbound<SampleResponse> | Inbound<Validated>;

/** The step's proposer prompts: `passages` per task type, in chunks that never mix types. */
export function proposerChunks(config: RunConfig, buffers: TaskBuffers, step: number): ProposerChunk[] {
  const chunks: ProposerChunk[] = [];
  for (const type of AZR_TASK_TYPES) {
    const items: ProposerItem[] = [];
    for (let i = 0; i < config.passages; i++) {
      const r = rng({ seed: config.seed, step, role: "azr-references", item: `${type}/${i}` });
      // Induction writes inputs for a program taken from the deduction buffer (as the paper does).
      const refs = buffers.references(type === "induction" ? "deduction" : type, azrOptions(config).references, r);
      items.push({
        key: `s${step}/${type}/${i}`,
        prompt: proposerPrompt(type, refs, config.template),
        ...(type === "induction" ? { program: inductionProgram(refs) } : {}),
      });
    }
    for (let c = 0; c * config.chunk < items.length; c++) {
      chunks.push({ batch: `${type}/c${c}`, type, items: items.slice(c * config.chunk, (c + 1) * config.chunk) });
    }
  }
  return chunks;
}

/** fillWindow then sendRequests: the assign decides, the plain action posts (in that order). */
const FILL_AND_SEND = ["fillWindow", { type: "sendRequests", params: ({ context }: { context: ProposerContext }) => ({ requests: context.outbox }) }] as const;

export function proposerMachine(deps: ProposerDeps) {
  return setup({
    types: { context: {} as ProposerContext, events: {} as ProposerEvent },
    actions: {
      checkpointBuffers: ({ context, event }) => {
        assertEvent(event, "policy.version");
        deps.checkpoint(event.step, context.buffers.snapshot());
      },
      beginStep: assign(({ context, event }) => {
        assertEvent(event, "policy.version");
        return { step: event.step, version: event.version, chunks: proposerChunks(context.config, context.buffers, event.step), nextChunk: 0, inFlight: 0, answered: 0, pending: {} };
      }),
      /** Decide the requests that fill the window (posted by sendRequests, never from an assign). */
      fillWindow: assign(({ context }) => {
        const w = fillWindow({ inFlight: context.inFlight, next: context.nextChunk, window: context.config.window, total: context.chunks.length });
        const pending = { ...context.pending };
        const outbox = w.toSend.map((c): Outbound<SampleRequest> => {
          const chunk = context.chunks[c]!;
          const req: SampleRequest = {
            type: "sample.request",
            step: context.step,
            version: context.version,
            role: "generator",
            prompts: chunk.items.map((it) => ({ key: it.key, text: it.prompt })),
            n: context.config.genSamples,
          };
          const id = messageId(context.step, "generator", "sample.request", chunk.batch);
          pending[id] = c;
          return { ...req, id };
        });
        return { nextChunk: w.next, inFlight: w.inFlight, pending, outbox };
      }),
      sendRequests: ({ system }, { requests }: { requests: ProposerContext["outbox"] }) => {
        for (const req of requests) post(system, "learner", req);
      },
      sendProposals: ({ context, event, system }) => {
        assertEvent(event, "sample.response");
        const res = event;
        const idx = context.pending[res.request];
        if (idx === undefined) throw new Error(`proposer: response to unknown request ${res.request}`);
        const chunk = context.chunks[idx]!;
        const byKey = new Map(chunk.items.map((it) => [it.key, it]));
        const proposals: Proposals["proposals"] = res.results.map((r) => {
          const item = byKey.get(r.key);
          if (!item) throw new Error(`proposer: response ${res.request} names unknown prompt ${r.key}`);
          return {
            key: r.key,
            rollouts: r.completions.map((c) => {
              const p = parseProposal(chunk.type, c.text, {
                template: context.config.template,
                ...(item.program !== undefined ? { program: item.program } : {}),
                inductionInputs: azrOptions(context.config).inductionInputs,
              });
              return "invalid" in p
                ? { program: "", inputs: [], invalid: p.invalid }
                : { program: p.program, inputs: p.inputs, ...(p.message !== undefined ? { message: p.message } : {}) };
            }),
          };
        });
        const msg: Proposals = { type: "proposals", step: context.step, version: context.version, batch: chunk.batch, taskType: chunk.type, proposals };
        post(system, "reward", { ...msg, id: messageId(context.step, "generator", "proposals", chunk.batch) });
      },
      settleResponse: assign(({ context }) => ({ inFlight: context.inFlight - 1, answered: context.answered + 1 })),
      // A plain action, not an assign: it writes the owned buffers (see ProposerContext.buffers), and a
      // pure transition returns it for the host to run instead of touching them.
      addValidated: ({ context, event }) => {
        assertEvent(event, "validated");
        for (const t of event.triplets) context.buffers.add(event.taskType as AzrTaskType, t);
      },
    },
    guards: {
      isFinalVersion: ({ context, event }) => {
        assertEvent(event, "policy.version");
        return event.step >= context.config.steps;
      },
      isCurrentStep: ({ context, event }) => event.step === context.step,
      allAnswered: ({ context }) => context.answered === context.chunks.length,
    },
  }).createMachine({
    id: "azr-proposer",
    context: { config: deps.config, buffers: deps.buffers, step: -1, version: -1, chunks: [], nextChunk: 0, inFlight: 0, answered: 0, pending: {}, outbox: [] },
    initial: "waitingForPolicy",
    // A step's validated triplets precede its scored messages, so they always arrive before the next version.
    on: { validated: { actions: "addValidated" } },
    states: {
      waitingForPolicy: {
        on: {
          "policy.version": [
            // The final version's buffers are checkpointed too, so a finished run has a final checkpoint.
            { guard: "isFinalVersion", target: "finished", actions: "checkpointBuffers" },
            { target: "proposing", actions: ["checkpointBuffers", "beginStep", ...FILL_AND_SEND] },
          ],
        },
      },
      proposing: {
        always: { guard: "allAnswered", target: "waitingForPolicy" },
        on: {
          "sample.response": { guard: "isCurrentStep", actions: ["sendProposals", "settleResponse", ...FILL_AND_SEND] },
        },
      },
      finished: { type: "final" },
    },
  });
}
