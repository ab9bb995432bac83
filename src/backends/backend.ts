import type { EntropyResponse, LogprobRequest, LogprobResponse, SamplePrompt, SampleRequest, SampleResponse } from "../protocol/messages.ts";
import type { GrpoBatch, TrainResult } from "../rl/batch-types.ts";
import type { ActorState } from "../runtime/actor-state.ts";

/**
 * Everything the learner needs from a policy. The simulator implements it with cheap parametric
 * policies; the ONNX backend with a real decoder. Sampling must be a pure function of
 * (parameters, request, run seed) so that replays are bit-exact.
 */
export interface LearnerBackend {
  readonly kind: string;
  sample(req: SampleRequest, requestId: string): Promise<SampleResponse["results"]>;
  /** Per whitespace word of each passage (word 0: 0): the policy's next-token entropy at the word's first token. */
  entropies?(passages: readonly SamplePrompt[], step: number): Promise<EntropyResponse["results"]>;
  /** Summed log-probability of each item's target after its context, under the policy or its moving average. */
  logprobs?(req: LogprobRequest): Promise<LogprobResponse["results"]>;
  train(batch: GrpoBatch): Promise<TrainResult>;
  /** Parameters and optimizer state: bytes (the simulator) or named tensors (a real model, any size). */
  snapshot(): ActorState;
  restore(state: ActorState): void;
  /** Hex digest of the parameters; recorded with every policy version. */
  digest(): string;
}
