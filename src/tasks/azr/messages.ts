// Absolute Zero's own messages (arXiv 2505.03335 §3): proposer -> reward (proposals, validated in
// the sandbox), reward -> solver (tasks, answers withheld), reward -> proposer (validated triplets).

import { arrayOf, nat, opt, shape, str, type Fields } from "../../protocol/schema.ts";
import type { MessageSpec } from "../task.ts";

/** Parsed proposals of one proposer request; the reward actor validates them in the sandbox. */
export interface Proposals {
  type: "proposals";
  step: number;
  version: number;
  /** The proposer request's chunk key; one Proposals, Tasks and Scored message per chunk. */
  batch: string;
  taskType: string;
  proposals: {
    /** Proposer prompt key; rollout i of it is key/g<i>. */
    key: string;
    rollouts: { program: string; inputs: string[]; message?: string; invalid?: string }[];
  }[];
}

/** Solver prompts of the valid proposals of one chunk (the answers stay with the reward actor). */
export interface Tasks {
  type: "tasks";
  step: number;
  version: number;
  batch: string;
  tasks: { key: string; prompt: string }[];
}

/** Valid triplets of one chunk, for the proposer's reference buffers. */
export interface Validated {
  type: "validated";
  step: number;
  batch: string;
  taskType: string;
  triplets: { program: string; input: string; output: string; message?: string }[];
}

export type AzrMessage = Proposals | Tasks | Validated;

type Proposal = Proposals["proposals"][number];

export const AZR_MESSAGES: readonly MessageSpec[] = [
  {
    type: "proposals",
    rank: 3,
    fields: {
      step: nat,
      version: nat,
      batch: str,
      taskType: str,
      proposals: arrayOf(
        shape<Proposal>({
          key: str,
          rollouts: arrayOf(shape<Proposal["rollouts"][number]>({ program: str, inputs: arrayOf(str), message: opt(str), invalid: opt(str) })),
        }),
      ),
    } satisfies Fields<Omit<Proposals, "type">>,
  },
  {
    type: "tasks",
    rank: 4,
    fields: { step: nat, version: nat, batch: str, tasks: arrayOf(shape<Tasks["tasks"][number]>({ key: str, prompt: str })) } satisfies Fields<Omit<Tasks, "type">>,
  },
  {
    type: "validated",
    rank: 4,
    fields: {
      step: nat,
      batch: str,
      taskType: str,
      triplets: arrayOf(shape<Validated["triplets"][number]>({ program: str, input: str, output: str, message: opt(str) })),
    } satisfies Fields<Omit<Validated, "type">>,
  },
];
