// RLP's own messages: the generator actor cuts each paragraph at a word and sends the context to
// the predictor (which thinks) and the context with its next word to the reward actor.

import { arrayOf, nat, shape, str, type Fields } from "../../protocol/schema.ts";
import type { MessageSpec } from "../task.ts";

/** generator -> predictor: contexts to think about (the next word stays with the reward actor). */
export interface Contexts {
  type: "contexts";
  step: number;
  version: number;
  /** The paragraph key; predictions come back under it. */
  group: string;
  items: { key: string; context: string }[];
}

/** generator -> reward: each context with the word that follows it. */
export interface Targets {
  type: "targets";
  step: number;
  version: number;
  group: string;
  items: { key: string; context: string; target: string }[];
}

export type RlpMessage = Contexts | Targets;

export const RLP_MESSAGES: readonly MessageSpec[] = [
  {
    type: "contexts",
    rank: 3,
    fields: { step: nat, version: nat, group: str, items: arrayOf(shape<Contexts["items"][number]>({ key: str, context: str })) } satisfies Fields<Omit<Contexts, "type">>,
  },
  {
    type: "targets",
    rank: 4,
    fields: { step: nat, version: nat, group: str, items: arrayOf(shape<Targets["items"][number]>({ key: str, context: str, target: str })) } satisfies Fields<Omit<Targets, "type">>,
  },
];
