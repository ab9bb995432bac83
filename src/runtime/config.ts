// The run configuration every actor receives at start. It is written into the episode log's
// header, so a replay rebuilds exactly the actors that were recorded.

import type { ActorId } from "../protocol/messages.ts";
import type { RewardDesign } from "../tasks/pretrainzero/rewards.ts";
import type { TemplateName } from "../tasks/pretrainzero/prompts.ts";
import type { SpanFilter } from "../tasks/pretrainzero/span-rules.ts";
import type { FlagValue } from "../cli/args.ts";

export type TransportKind = "worker" | "inproc" | "nats";

/** A deliberate failure, for supervision tests: the actor dies when it receives its Nth message of a step. */
export interface FaultPlan {
  actor: ActorId;
  step: number;
  /** 1-based count of messages received in that step before dying. */
  atMessage: number;
  kind: "throw" | "exit";
}

export type ChatTemplateMode = "off" | "on" | "auto";
export const CHAT_TEMPLATE_MODES: readonly ChatTemplateMode[] = ["off", "on", "auto"];

/** The language model the learner trains (backend "model"). */
export interface ModelRunConfig {
  /** Hugging Face folder: config.json, model.safetensors, tokenizer.json. */
  dir: string;
  device: "cpu" | "cuda";
  /** Fixed threads and execution order: seeded samples and updates repeat bit for bit. */
  deterministic: boolean;
  /** LoRA adapters over a frozen base; null trains every weight. */
  lora: { rank: number; alpha: number; targets?: string[] } | null;
  temperature: number;
  topP: number;
  /** 0 disables top-k. */
  topK: number;
  maxNewTokens: { generator: number; predictor: number };
  /** Generation stops at these strings (and at the model's EOS). */
  stopStrings: string[];
  /**
   * Wrap each generator and predictor prompt as a user message in the model's chat template, with
   * the generation prompt (instruct models): "on" (the tokenizer must have a template), "auto"
   * (when it has one) or "off" (plain prompts, base models; logs recorded before it read as off).
   */
  chatTemplate: ChatTemplateMode;
  schedule: "cosine" | "constant";
  lr: number;
  warmup: number;
  minLrRatio: number;
  /** Sequences per optimizer step; a step's batch is split into minibatches of this size. */
  microBatch: number;
  /** Weight of a k3 KL penalty against the initial model (0: none, as in the paper). */
  klCoef: number;
}

/** Where the paragraphs come from (src/data/corpus.ts); the held-out split is never trained on. */
export interface CorpusConfig {
  /** A corpus file or folder, or "factbook" (the embedded default). */
  path: string;
  minWords: number;
  maxWords: number;
  heldOut: number;
  /** Seed of the held-out assignment (by document). */
  seed: number;
  /** JSONL text field. */
  textField: string;
}

export interface RunConfig {
  /** A registered task's name (src/tasks/registry.ts). */
  task: string;
  /** The task's own options (its flags); keys and defaults are the task's (src/tasks/task.ts). */
  taskOptions: Record<string, FlagValue>;
  backend: "sim" | "model";
  corpus: CorpusConfig;
  seed: number;
  steps: number;
  /** Paragraphs per step (paper: 32). */
  passages: number;
  /** Generator rollouts per paragraph (paper: 8). */
  genSamples: number;
  /** Predictor rollouts per mask, G (paper: 8). */
  predSamples: number;
  design: RewardDesign;
  /** Paragraphs per generator sample request. */
  chunk: number;
  /** Outstanding sample requests a sender may have; bounds the learner's queue. */
  window: number;
  /** Spans occurring this often or more in the paragraph are rejected (paper: 8). */
  maxOccurrences: number;
  maskMode: "all" | "one" | "words";
  /** Checkable span rules for the policy's masks (src/tasks/pretrainzero/span-rules.ts); paper: none. */
  spanFilter: SpanFilter;
  /** "copy": the generator's \mask{} can only spell paragraph text on word boundaries (constrained decoding); paper: free. */
  spanDecoding: "free" | "copy";
  /** Prompt templates: the paper's (with reasoning) or compact (tiny models). */
  template: TemplateName;
  sim: { genLr: number; predLr: number; maxSpanWords: number };
  model: ModelRunConfig;
  grpo: { epsLow: number; epsHigh: number; scaleByStd: boolean; dropZeroVariance: boolean };
  faults: FaultPlan[];
}

export const DEFAULT_RUN_CONFIG: RunConfig = {
  task: "pretrainzero",
  taskOptions: {},
  backend: "sim",
  corpus: { path: "factbook", minWords: 40, maxWords: 160, heldOut: 0.05, seed: 0, textField: "text" },
  seed: 1,
  steps: 100,
  passages: 32,
  genSamples: 8,
  predSamples: 8,
  design: "minmax",
  chunk: 8,
  window: 4,
  maxOccurrences: 8,
  maskMode: "all",
  spanFilter: "none",
  spanDecoding: "free",
  template: "paper",
  sim: { genLr: 0.1, predLr: 0.05, maxSpanWords: 4 },
  model: {
    dir: "fixtures/default-model",
    device: "cpu",
    deterministic: true,
    lora: null,
    // The usual 1.0. At 0.7 the shipped model's policy entropy collapsed within 15 steps (README, "A regime that keeps learning").
    temperature: 1.0,
    topP: 1,
    topK: 0,
    maxNewTokens: { generator: 24, predictor: 16 },
    stopStrings: ["\n"],
    chatTemplate: "off",
    schedule: "cosine",
    lr: 1e-4,
    warmup: 0,
    minLrRatio: 0.1,
    microBatch: 64,
    klCoef: 0,
  },
  grpo: { epsLow: 0.2, epsHigh: 0.28, scaleByStd: true, dropZeroVariance: true },
  faults: [],
};

/**
 * A configuration read back from a log header or a run folder: defaults for fields it predates.
 * Logs recorded before tasks became plugins kept Absolute Zero's options under `azr`: the one place
 * outside src/tasks that names a task, to read those logs.
 */
export function runConfigFrom(raw: Record<string, unknown>): RunConfig {
  const { azr, ...rest } = raw as Partial<RunConfig> & { azr?: Record<string, FlagValue> };
  const config: RunConfig = { ...DEFAULT_RUN_CONFIG, ...rest };
  if (raw.taskOptions === undefined && azr && config.task === "azr") config.taskOptions = { ...azr };
  // Logs recorded before chat templates existed prompted the model with plain text.
  if (config.model && (config.model as Partial<ModelRunConfig>).chatTemplate === undefined) config.model = { ...config.model, chatTemplate: "off" };
  return config;
}
