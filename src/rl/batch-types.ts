import type { Completion, Role } from "../protocol/messages.ts";

/** One GRPO group ready for the loss: the rollouts the learner sampled, joined with their scores. */
export interface TrainGroup {
  role: Role;
  key: string;
  prompt: string;
  completions: Completion[];
  rewards: number[];
  advantages: number[];
  /** Absolute Zero task type (TRR++ bucket together with the role). */
  taskType?: string;
}

export interface GrpoBatch {
  step: number;
  version: number;
  /** Canonically ordered (role, then key), zero-variance groups already dropped. */
  groups: TrainGroup[];
}

export interface TrainResult {
  loss: number;
  gradNorm: number;
  /** Fraction of samples whose ratio was clipped. */
  clipFrac: number;
  /** Mean KL to the reference model, when a KL penalty is on. */
  kl?: number;
}
