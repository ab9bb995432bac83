// Decoding a learner's checkpointed state (written by actors/learner.ts learnerState()). Kept apart
// from actor-state.ts, which task plugins import: the codec imports the task registry.

import { decodeValue } from "../protocol/codec.ts";
import type { StepStats } from "../protocol/messages.ts";
import { type ActorState, isTensorState } from "./actor-state.ts";

export interface DecodedLearnerState {
  step: number;
  version: number;
  lastStats: StepStats | null;
  /** The backend's own state: bytes, or its meta bytes with the learner's tensors. */
  backend: ActorState;
}

/** The inverse of actors/learner.ts learnerState(); throws when the state is not a learner's. */
export function decodeLearnerState(state: ActorState): DecodedLearnerState {
  const v = decodeValue(isTensorState(state) ? state.meta : state) as Record<string, unknown>;
  if (typeof v !== "object" || v === null || typeof v.step !== "number" || !(v.backend instanceof Uint8Array)) throw new Error("not a learner state");
  const backend = isTensorState(state) ? { meta: v.backend, files: state.files } : v.backend;
  return { step: v.step, version: v.version as number, lastStats: (v.lastStats as StepStats | null) ?? null, backend };
}
