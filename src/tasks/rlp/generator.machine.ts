// RLP's generator actor. It does not sample: on each policy version it cuts the step's paragraphs
// at random word boundaries, sends the contexts to the predictor (which thinks) and the contexts
// with their next words to the reward actor. It never trains.

import { assertEvent, setup } from "xstate";
import { passagesForStep } from "../../data/passages.ts";
import { messageId, type PolicyVersion } from "../../protocol/messages.ts";
import type { RunConfig } from "../../runtime/config.ts";
import { post, type Inbound } from "../../runtime/host.ts";
import { rng } from "../../runtime/rng.ts";
import type { Contexts, Targets } from "./messages.ts";
import { rlpCut } from "./positions.ts";
import { SINGLE, type Replica } from "../../runtime/routing.ts";

export interface RlpGeneratorDeps {
  config: RunConfig;
  corpus: readonly string[];
  positions: number;
  minContext: number;
  /** This replica cuts the paragraphs at positions ≡ index (mod count) of the step. */
  replica?: Replica;
}

/** The step's contexts and targets, one pair of messages per paragraph. Pure. */
export function rlpStep(deps: RlpGeneratorDeps, step: number, version: number): { contexts: Contexts; targets: Targets }[] {
  return passagesForStep(deps.corpus, deps.config.seed, step, deps.config.passages).map((p) => {
    const items: Targets["items"] = [];
    for (let i = 0; i < deps.positions; i++) {
      const cut = rlpCut(p.text, rng({ seed: deps.config.seed, step, role: "rlp-position", item: p.key, sample: i }), deps.minContext);
      if (cut) items.push({ key: `${p.key}/t${i}`, ...cut });
    }
    return {
      contexts: { type: "contexts", step, version, group: p.key, items: items.map((it) => ({ key: it.key, context: it.context })) },
      targets: { type: "targets", step, version, group: p.key, items },
    };
  });
}

export function rlpGeneratorMachine(deps: RlpGeneratorDeps) {
  return setup({
    types: { context: {} as { config: RunConfig }, events: {} as Inbound<PolicyVersion> },
    actions: {
      send: ({ event, system }) => {
        assertEvent(event, "policy.version");
        const { index, count } = deps.replica ?? SINGLE;
        const mine = rlpStep(deps, event.step, event.version).filter((_, i) => i % count === index);
        for (const { contexts, targets } of mine) {
          post(system, "predictor", { ...contexts, id: messageId(event.step, "generator", "contexts", contexts.group) });
          post(system, "reward", { ...targets, id: messageId(event.step, "generator", "targets", targets.group) });
        }
      },
    },
    guards: {
      isFinalVersion: ({ context, event }) => event.step >= context.config.steps,
    },
  }).createMachine({
    id: "rlp-generator",
    context: { config: deps.config },
    initial: "cutting",
    states: {
      cutting: {
        on: {
          "policy.version": [{ guard: "isFinalVersion", target: "finished" }, { actions: "send" }],
        },
      },
      finished: { type: "final" },
    },
  });
}
