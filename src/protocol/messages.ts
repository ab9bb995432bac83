// The wire protocol between the four actors. One discriminated union per channel; every message
// carries a deterministic id so that duplicates (after a worker restart) can be dropped and logs
// can be written in a canonical order.

import type { TaskMessage } from "../tasks/registry.ts";

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
  /** The scored item's key (a paragraph, an Absolute Zero chunk...); the name is protocol version 1's. */
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

/**
 * Log-probability of a target text after a context, under the policy or the exponential moving
 * average of its weights (RLP's information-gain reward, arXiv 2510.01265 §3). The target's tokens
 * are appended to the context's, never re-merged with them.
 */
export interface LogprobRequest {
  type: "logprob.request";
  step: number;
  version: number;
  weights: "policy" | "ema";
  items: { key: string; context: string; target: string }[];
}

export interface LogprobResponse {
  type: "logprob.response";
  request: string;
  step: number;
  version: number;
  /** Summed log-probability of the target's tokens, and how many there were. */
  results: { key: string; logprob: number; tokens: number }[];
}

export type LearnerInbound = SampleRequest | Scored | EntropyRequest | LogprobRequest;
export type LearnerOutbound = SampleResponse | PolicyVersion | EntropyResponse | LogprobResponse;

/**
 * The predictor's completions of one group of prompts, to the reward actor. Every task's predictor
 * work comes back this way. The field names are protocol version 1's, kept so recorded logs
 * replay: `passage` is the group key and `maskId` the prompt key.
 */
export interface Predictions {
  type: "predictions";
  step: number;
  passage: string;
  groups: { maskId: string; completions: string[] }[];
}

/** Messages every task shares: the learner's channel, the predictor's output and the scores. */
export type CoreMessage = PolicyVersion | SampleRequest | SampleResponse | EntropyRequest | EntropyResponse | LogprobRequest | LogprobResponse | Scored | Predictions;

/** Every message on the wire: the core ones and those the registered tasks declare. */
export type Message = CoreMessage | TaskMessage;
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

export function isActorId(x: unknown): x is ActorId {
  return typeof x === "string" && (ACTOR_IDS as readonly string[]).includes(x);
}

/** Deterministic message id: step, sender, type and an item key. Sorting ids never depends on timing. */
export function messageId(step: number, from: ActorId, type: MessageType, key: string): string {
  return `${String(step).padStart(6, "0")}|${from}|${type}|${key}`;
}
