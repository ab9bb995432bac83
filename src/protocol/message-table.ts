// Every message type on the wire, with its field table and its stage within a step: the core
// messages declared here, and those each registered task declares (src/tasks/registry.ts).

import { TASKS } from "../tasks/registry.ts";
import type { MessageSpec } from "../tasks/task.ts";
import type { Completion, CoreMessage, SamplePrompt, ScoredGroup, StepStats } from "./messages.ts";
import { arrayOf, float32Array, int32Array, nat, num, oneOf, opt, role, shape, str, type Check, type FieldCheck, type Fields } from "./schema.ts";

const completion = shape<Completion>({ text: str, tokens: opt(int32Array), logprobs: opt(float32Array) });
const samplePrompt = shape<SamplePrompt>({ key: str, text: str });
const stepStats = shape<StepStats>({
  genReward: num,
  predAcc: num,
  zeroVarFrac: num,
  genZeroVarFrac: num,
  spanWords: num,
  invalidFrac: num,
  trained: num,
  episodes: num,
  loss: num,
  gradNorm: num,
  clipFrac: num,
  kl: opt(num),
});
const scoredGroup = shape<ScoredGroup>({
  role,
  key: str,
  rewards: arrayOf(num),
  acc: opt(num),
  spanWords: opt(arrayOf(num)),
  invalid: opt(nat),
  taskType: opt(str),
});

type CoreFields = { [K in CoreMessage["type"]]: Fields<Omit<Extract<CoreMessage, { type: K }>, "type">> };

const CORE_FIELDS: CoreFields = {
  "policy.version": { step: nat, version: nat, digest: str, stats: opt(stepStats) },
  "sample.request": { step: nat, version: nat, role, prompts: arrayOf(samplePrompt), n: nat },
  "sample.response": {
    request: str,
    step: nat,
    version: nat,
    role,
    results: arrayOf(shape<{ key: string; completions: Completion[] }>({ key: str, completions: arrayOf(completion) })),
  },
  "entropy.request": { step: nat, version: nat, prompts: arrayOf(samplePrompt) },
  "entropy.response": {
    request: str,
    step: nat,
    version: nat,
    results: arrayOf(shape<{ key: string; entropies: number[] }>({ key: str, entropies: arrayOf(num) })),
  },
  "logprob.request": {
    step: nat,
    version: nat,
    weights: oneOf(["policy", "ema"]),
    items: arrayOf(shape<{ key: string; context: string; target: string }>({ key: str, context: str, target: str })),
  },
  "logprob.response": {
    request: str,
    step: nat,
    version: nat,
    results: arrayOf(shape<{ key: string; logprob: number; tokens: number }>({ key: str, logprob: num, tokens: nat })),
  },
  scored: { step: nat, passage: str, groups: arrayOf(scoredGroup) },
  predictions: {
    step: nat,
    passage: str,
    groups: arrayOf(shape<{ maskId: string; completions: string[] }>({ maskId: str, completions: arrayOf(str) })),
  },
};

const CORE_RANK: Record<CoreMessage["type"], number> = {
  "policy.version": 0,
  "sample.request": 1,
  "entropy.request": 1,
  "logprob.request": 1,
  "sample.response": 2,
  "entropy.response": 2,
  "logprob.response": 2,
  predictions: 5,
  scored: 6,
};

function table(): Map<string, { rank: number; fields: Record<string, FieldCheck> }> {
  const t = new Map<string, { rank: number; fields: Record<string, FieldCheck> }>();
  for (const [type, fields] of Object.entries(CORE_FIELDS)) t.set(type, { rank: CORE_RANK[type as CoreMessage["type"]], fields: fields as Record<string, FieldCheck> });
  const owner = new Map<string, string>();
  for (const task of TASKS) {
    for (const spec of task.messages as readonly MessageSpec[]) {
      const have = t.get(spec.type);
      // Tasks may share a message type (the baselines reuse PretrainZero's), never redefine one.
      if (have && have.fields !== spec.fields) throw new Error(`task ${task.name} redefines message type "${spec.type}" (declared by ${owner.get(spec.type) ?? "the runtime"})`);
      if (!have) {
        t.set(spec.type, { rank: spec.rank, fields: spec.fields });
        owner.set(spec.type, task.name);
      }
    }
  }
  return t;
}

const TABLE = table();

/** Field tables by message type. */
export const MESSAGE_FIELDS: ReadonlyMap<string, Readonly<Record<string, FieldCheck>>> = new Map([...TABLE].map(([k, v]) => [k, v.fields]));

/** Canonical rank of each message type within a step; orders logs independently of timing. */
export const STAGE_RANK: Readonly<Record<string, number>> = Object.fromEntries([...TABLE].map(([k, v]) => [k, v.rank]));

export const MESSAGE_TYPES: readonly string[] = [...TABLE.keys()];

/** A check for a field holding any message type name. */
export const messageType: Check = oneOf(MESSAGE_TYPES);
