// What a task is to the rest of the toolkit. A task (PretrainZero, a baseline, Absolute Zero, RPT,
// RLP...) declares everything the actors, the hub, the learner, the CLI and the inspector need to
// know about it; they ask the registry (./registry.ts) and never name a task themselves.
// docs/adding-a-task.md walks through writing one.

import type { FlagSpec, FlagValue } from "../cli/args.ts";
import type { ActorId, Message, Role, SamplePrompt } from "../protocol/messages.ts";
import type { FieldCheck } from "../protocol/schema.ts";
import type { RunConfig } from "../runtime/config.ts";
import type { ActorFactory } from "../runtime/host.ts";

/** A wire message type the task adds: its field table (the codec validates every envelope against it) and its stage within a step. */
export interface MessageSpec {
  type: string;
  /**
   * Canonical order within a step (the log and the hub sort by step, then rank, then id):
   * 0 policy.version, 1 requests to the learner, 2 its responses, 3-5 task messages, 6 scored.
   */
  rank: number;
  fields: Record<string, FieldCheck>;
}

/** A task flag: a CLI flag whose value lands in `config.taskOptions[option]`. */
export interface TaskFlag extends FlagSpec {
  option: string;
}

/** One sample request's worth of predictor prompts, made from a message the task sends the predictor. */
export interface PredictorWork {
  step: number;
  version: number;
  /** The group key the predictions are returned under. */
  group: string;
  prompts: SamplePrompt[];
}

/** Settings of the shared run the task changes when the user did not set them. */
export interface RunDefaults {
  /** Items per step (the meaning of --passages for the task). */
  passages?: number;
  maxNewTokens?: { generator?: number; predictor?: number };
  stopStrings?: string[];
  template?: RunConfig["template"];
  /** The model folder a new run uses when --model is not given (a run to rerun or resume keeps its own). */
  modelDir?: string;
}

/** What the learner's model backend must provide for the task, beyond sampling and training. */
export interface BackendNeeds {
  /** Keep an exponential moving average of the weights with this decay (scored as "ema"). */
  emaDecay?: number;
}

/**
 * Watches a run's messages in the main process and summarises each step, e.g. what kind of spans
 * the generator chose. It sees every message once; `take(step)` is called when the step's update
 * is announced, after all of its messages, and returns flat numeric metrics.
 */
export interface StepObserver {
  see(msg: Message): void;
  take(step: number): Record<string, number>;
}

export interface Task<O extends Record<string, FlagValue> = Record<string, FlagValue>> {
  name: string;
  /** One line for --help. */
  summary: string;
  /** The task's own options and their defaults; `config.taskOptions` holds them for a run. */
  defaults: O;
  flags: readonly TaskFlag[];
  runDefaults?: RunDefaults;
  /** True when the simulator can play the task; otherwise the one-line reason it cannot. */
  simulator: true | string;
  /** Whether the generator reads the corpus (checked before a run starts). */
  usesCorpus: boolean;
  /** Roles whose GRPO groups the learner trains on. */
  trainRoles(config: RunConfig): Role[];
  /** "group": GRPO's per-group normalisation; "trr": Absolute Zero's per task type and role (TRR++). */
  advantage: "group" | "trr";
  /** Scored messages the learner waits for before it updates. */
  scoredPerStep(config: RunConfig): number;
  /** Episodes (generator rollouts) per step, for throughput figures. */
  episodesPerStep(config: RunConfig): number;
  /**
   * Actors besides the learner that keep state across steps (a checkpoint holds it), each with a
   * check that a saved state restores (it throws when not).
   */
  statefulActors: Readonly<Partial<Record<ActorId, (state: Uint8Array) => void>>>;
  /** Message types the task adds to the protocol. */
  messages: readonly MessageSpec[];
  /** The predictor's prompts for each message type the task sends it. */
  predictorWork: Readonly<Record<string, (msg: never, config: RunConfig) => PredictorWork>>;
  actors: { generator: ActorFactory; reward: ActorFactory };
  backend?(config: RunConfig): BackendNeeds;
  /** Constrained decoding for a role's prompt (the learner's model backend applies it): which completion texts are allowed. */
  decodingConstraint?(config: RunConfig, role: Role, prompt: string): ((text: string) => boolean) | undefined;
  /**
   * The braced answer that ends a role's completion, e.g. "boxed": generation stops right after the
   * brace closing its first \boxed{...} (src/model/generate.ts stopAfterBraced), so reasoning over
   * several lines is never cut. Undefined: only the run's stop strings and EOS end it.
   */
  answerStop?(config: RunConfig, role: Role): string | undefined;
  /** Metrics the runner derives from each step's messages, beside the learner's (never in the log). */
  observer?(config: RunConfig): StepObserver | Promise<StepObserver>;
  inspector: {
    /** Message types the inspector joins into mask episodes; every other record is listed as it is. */
    episodeTypes: readonly string[];
  };
}
