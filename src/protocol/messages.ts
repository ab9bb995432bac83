// The wire protocol between the four actors. One discriminated union per channel; every message
// carries a deterministic id so that duplicates (after a worker restart) can be dropped and logs
// can be written in a canonical order.

export const PROTOCOL_VERSION = 1 as const;

export type ActorId = "generator" | "predictor" | "reward" | "learner";
export const ACTOR_IDS: readonly ActorId[] = ["generator", "predictor", "reward", "learner"];

export type Role = "generator" | "predictor";

/** One sampled completion. Token ids and behaviour log-probs are filled by model backends. */
export interface Completion {
  text: string;
  tokens?: Int32Array;
  logprobs?: Float32Array;
}

export interface SamplePrompt {
  /** Deterministic item key, e.g. "s12/p3" (passage) or "s12/p3/g5" (mask). */
  key: string;
  text: string;
}

// ---- learner channel: requests in, samples and policy versions out ----

export interface PolicyVersion {
  type: "policy.version";
  step: number;
  version: number;
  /** Digest of the learner's parameters after the update that produced this version. */
  digest: string;
  /** Metrics of the update that produced this version (absent for version 0). */
  stats?: StepStats;
}

export interface SampleRequest {
  type: "sample.request";
  step: number;
  version: number;
  role: Role;
  prompts: SamplePrompt[];
  /** Completions per prompt. */
  n: number;
}

export interface SampleResponse {
  type: "sample.response";
  /** Id of the request this answers. */
  request: string;
  step: number;
  version: number;
  role: Role;
  results: { key: string; completions: Completion[] }[];
}

/** One GRPO group scored by the reward actor; the learner joins it with the rollouts it sampled. */
export interface ScoredGroup {
  role: Role;
  /** The prompt key the group was sampled for. */
  key: string;
  rewards: number[];
  /** Predictor groups: fraction solved. */
  acc?: number;
  /** Generator groups: words in each chosen span (0 when invalid). */
  spanWords?: number[];
  /** Generator groups: how many completions had no usable mask (or, in AZR, no valid proposal). */
  invalid?: number;
  /** Absolute Zero: deduction, abduction or induction (TRR++ normalises per task type and role). */
  taskType?: string;
}

export interface Scored {
  type: "scored";
  step: number;
  /** Passage key; one Scored message per passage. */
  passage: string;
  groups: ScoredGroup[];
}

/** Entropy-selected baseline (RPT): how uncertain the policy is about each word of a passage. */
export interface EntropyRequest {
  type: "entropy.request";
  step: number;
  version: number;
  /** Prompt text is the bare passage. */
  prompts: SamplePrompt[];
}

export interface EntropyResponse {
  type: "entropy.response";
  request: string;
  step: number;
  version: number;
  /** Per whitespace word of the passage: entropy (nats) of the policy's next-token distribution at the word's first token; word 0 has none (0). */
  results: { key: string; entropies: number[] }[];
}

export type LearnerInbound = SampleRequest | Scored | EntropyRequest;
export type LearnerOutbound = SampleResponse | PolicyVersion | EntropyResponse;

// ---- generator -> predictor: masked passages (the hidden spans never travel this way) ----

export interface MaskedPassage {
  maskId: string;
  masked: string;
}

export interface Masks {
  type: "masks";
  step: number;
  version: number;
  passage: string;
  masks: MaskedPassage[];
}

// ---- generator -> reward: the answers and the generator's own group ----

export interface MaskAnswer {
  maskId: string;
  /** The span as written inside \mask{}; null when the completion had no valid mask. */
  span: string | null;
  /** Why the mask was rejected, when it was. */
  invalid?: string;
}

export interface Answers {
  type: "answers";
  step: number;
  passage: string;
  answers: MaskAnswer[];
}

// ---- predictor -> reward: G predictions per mask ----

export interface Predictions {
  type: "predictions";
  step: number;
  passage: string;
  groups: { maskId: string; completions: string[] }[];
}

// ---- Absolute Zero: proposer (generator) -> reward -> solver (predictor) ----

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

export type GeneratorInbound = PolicyVersion | SampleResponse | EntropyResponse | Validated;
export type PredictorInbound = Masks | SampleResponse;
export type RewardInbound = Answers | Predictions;

export type Message =
  | PolicyVersion
  | SampleRequest
  | SampleResponse
  | EntropyRequest
  | EntropyResponse
  | Scored
  | Masks
  | Answers
  | Predictions
  | Proposals
  | Tasks
  | Validated;
export type MessageType = Message["type"];

export interface StepStats {
  /** Mean generator reward over all generator rollouts (invalid ones included, as 0). */
  genReward: number;
  /** Mean predictor accuracy over valid masks. */
  predAcc: number;
  /** Fraction of predictor groups whose rewards are all equal (dropped by dynamic sampling). */
  zeroVarFrac: number;
  /** Fraction of generator groups with zero variance. */
  genZeroVarFrac: number;
  /** Mean words in valid chosen spans. */
  spanWords: number;
  /** Fraction of generator rollouts without a usable mask. */
  invalidFrac: number;
  /** Samples that survived dynamic sampling and were trained on. */
  trained: number;
  /** Episodes (generator rollouts) in the step. */
  episodes: number;
  loss: number;
  gradNorm: number;
  clipFrac: number;
  /** Mean k3 KL to the reference model (only with a KL penalty). */
  kl?: number;
}

/** What travels between workers: a message plus routing and a deterministic id. */
export interface Envelope<M extends Message = Message> {
  v: typeof PROTOCOL_VERSION;
  id: string;
  from: ActorId;
  to: ActorId;
  msg: M;
}

/** Canonical rank of each message type within a step; used to order logs independently of timing. */
export const STAGE_RANK: Record<MessageType, number> = {
  "policy.version": 0,
  "sample.request": 1,
  "sample.response": 2,
  "entropy.request": 1,
  "entropy.response": 2,
  masks: 3,
  proposals: 3,
  answers: 4,
  tasks: 4,
  validated: 4,
  predictions: 5,
  scored: 6,
};

export function isActorId(x: unknown): x is ActorId {
  return typeof x === "string" && (ACTOR_IDS as readonly string[]).includes(x);
}

/** Deterministic message id: step, sender, type and an item key. Sorting ids never depends on timing. */
export function messageId(step: number, from: ActorId, type: MessageType, key: string): string {
  return `${String(step).padStart(6, "0")}|${from}|${type}|${key}`;
}
