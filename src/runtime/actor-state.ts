// An actor's state as the supervisor keeps it and a checkpoint stores it. Most actors hand in one
// small byte string. The learner of a real model hands in its few bytes of bookkeeping plus its
// parameters and optimizer state as named float tensors, grouped by the file each goes to
// (safetensors, streamed by src/runtime/checkpoint.ts): no single buffer of the whole state is
// ever made, since Bun refuses typed arrays past 4 GiB.

export type StateFloats = Float32Array | Float64Array;

export interface StateTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Often a view into a larger buffer (a flat parameter group); never written to by readers. */
  readonly data: StateFloats;
}

export interface TensorState {
  /** Everything besides the tensors (steps, versions, statistics), encoded by its owner. */
  readonly meta: Uint8Array;
  /** File name (e.g. "params.safetensors") -> its tensors, in order. */
  readonly files: Readonly<Record<string, readonly StateTensor[]>>;
}

export type ActorState = Uint8Array | TensorState;

export function isTensorState(s: unknown): s is TensorState {
  return typeof s === "object" && s !== null && !(s instanceof Uint8Array) && (s as TensorState).meta instanceof Uint8Array && typeof (s as TensorState).files === "object";
}

/** The bytes of an actor that keeps its state as bytes; `who` names it in the error. */
export function stateBytes(s: ActorState, who: string): Uint8Array {
  if (s instanceof Uint8Array) return s;
  throw new Error(`${who}: expected a byte state, got a tensor state (files ${Object.keys(s.files).join(", ")})`);
}
