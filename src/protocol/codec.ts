// msgpack codec for the wire protocol. Encoding is deterministic (map keys in insertion order,
// non-integers always as float64), so the same message always yields the same bytes; the episode
// log relies on that for byte-identical recordings.
//
// Decoding validates structure against a per-type table. A worker that receives a malformed
// envelope gets a one-line CodecError naming the field, instead of a TypeError three calls later.

import { Packr } from "msgpackr";
import { mapFields, readString, type Field } from "./scan.ts";
import {
  ACTOR_IDS,
  type Envelope,
  type Message,
  type MessageType,
  PROTOCOL_VERSION,
  STAGE_RANK,
  type Completion,
  type ScoredGroup,
  type StepStats,
  type SamplePrompt,
  type MaskedPassage,
  type MaskAnswer,
  type Proposals,
  type Tasks,
  type Validated,
} from "./messages.ts";

/** A message or value that cannot be decoded or does not have the protocol's shape. Exit code 2 for CLIs. */
export class CodecError extends Error {
  override name = "CodecError";
  readonly exitCode = 2;
}

// moreTypes: typed arrays travel as msgpackr's typed-array extension and come back as the same class
// (copied, never a view into the input). structuredClone off: no reference tracking, so output is
// a plain tree. useRecords off: plain msgpack maps that other tools can read, and no decoder state
// carried between calls. Typed-array payloads are raw little-endian bytes (every target we run on).
const packr = new Packr({ moreTypes: true, structuredClone: false, useRecords: false });

/** Encodes any msgpack-able value. The result owns its whole ArrayBuffer (safe to transfer or keep). */
export function encodeValue(value: unknown): Uint8Array<ArrayBuffer> {
  // pack() returns a view of a buffer that the next pack() overwrites; copy it out.
  return new Uint8Array(packr.pack(value));
}

/** Decodes bytes written by encodeValue. Throws CodecError on truncated or garbage input. */
export function decodeValue(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError(`malformed message: expected bytes (Uint8Array), got ${describe(bytes)}`);
  }
  try {
    return packr.unpack(bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new CodecError(`malformed message: not decodable msgpack (${reason}; ${bytes.length} bytes)`);
  }
}

/** Encodes an envelope after validating it, so a bad message fails at its sender. */
export function encodeEnvelope(env: Envelope): Uint8Array<ArrayBuffer> {
  validateEnvelope(env);
  return encodeValue(env);
}

/** Decodes and validates an envelope; throws CodecError with a one-line reason. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  return validateEnvelope(decodeValue(bytes));
}

/**
 * The bytes encodeEnvelope writes for `head` and a message, given the message already encoded by
 * encodeValue: replay feeds recorded messages without decoding them. The receiver validates.
 */
export function encodeEnvelopeAround(head: Omit<Envelope, "msg">, msg: Uint8Array): Uint8Array<ArrayBuffer> {
  // Same key order as every sender's envelope; msg last, so its placeholder is the final byte.
  const prefix = encodeValue({ v: head.v, id: head.id, from: head.from, to: head.to, msg: 0 });
  const out = new Uint8Array(prefix.length - 1 + msg.length);
  out.set(prefix.subarray(0, prefix.length - 1));
  out.set(msg, prefix.length - 1);
  return out;
}

/** An envelope's id and addresses and its message's byte range, without decoding the message; null when it is not shaped like one. */
export function peekEnvelope(bytes: Uint8Array): { id: string; from: string; to: string; msg: Field } | null {
  const f = mapFields(bytes, 0, bytes.length, true);
  const id = f?.get("id");
  const from = f?.get("from");
  const to = f?.get("to");
  const msg = f?.get("msg");
  if (!f || f.size !== 5 || !f.has("v") || !id || !from || !to || !msg) return null;
  const [i, a, b] = [readString(bytes, id), readString(bytes, from), readString(bytes, to)];
  return i === null || a === null || b === null ? null : { id: i, from: a, to: b, msg };
}

// ---------------------------------------------------------------------------------------------
// Structural validation

/**
 * Checks take the path of the value for the error message. Validation first runs with path null,
 * building no path strings (most of its cost on large messages); only a failure re-runs it with
 * paths to name the field.
 */
type Path = string | null;
type Check = (value: unknown, path: Path) => void;
const RETRY_WITH_PATHS = new Error("retry with paths");
const at = (p: Path, key: string): Path => (p === null ? null : `${p}.${key}`);
const item = (p: Path, i: number): Path => (p === null ? null : `${p}[${i}]`);
interface OptionalCheck {
  optional: true;
  check: Check;
}
type FieldCheck = Check | OptionalCheck;

function fail(path: Path, expected: string, got: unknown): never {
  if (path === null) throw RETRY_WITH_PATHS;
  if (got === undefined) throw new CodecError(`malformed message: field ${path} is missing; expected ${expected}`);
  throw new CodecError(`malformed message: field ${path} must be ${expected}, got ${describe(got)}`);
}

/** Short human description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${"length" in v ? String(v.length) : v.byteLength})`;
  if (typeof v === "object") {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return "a map";
    return `a ${(v as object).constructor?.name ?? "value"}`;
  }
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const opt = (check: Check): OptionalCheck => ({ optional: true, check });

const str: Check = (v, p) => {
  if (typeof v !== "string") fail(p, "a string", v);
};
const num: Check = (v, p) => {
  if (typeof v !== "number") fail(p, "a number", v);
};
const nat: Check = (v, p) => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(p, "a non-negative integer", v);
};
const strOrNull: Check = (v, p) => {
  if (v !== null && typeof v !== "string") fail(p, "a string or null", v);
};
const oneOf =
  (values: readonly string[]): Check =>
  (v, p) => {
    if (typeof v !== "string" || !values.includes(v)) fail(p, `one of ${values.join(", ")}`, v);
  };
const role = oneOf(["generator", "predictor"]);
const actor = oneOf(ACTOR_IDS);
const int32Array: Check = (v, p) => {
  if (!(v instanceof Int32Array)) fail(p, "an Int32Array", v);
};
const float32Array: Check = (v, p) => {
  if (!(v instanceof Float32Array)) fail(p, "a Float32Array", v);
};
const arrayOf =
  (check: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) fail(p, "an array", v);
    for (let i = 0; i < v.length; i++) check(v[i], item(p, i));
  };

function checkFields(obj: Record<string, unknown>, fields: Record<string, FieldCheck>, path: Path): void {
  for (const key in fields) {
    const f = fields[key]!;
    const value = obj[key];
    if (typeof f === "function") f(value, at(path, key));
    else if (value !== undefined) f.check(value, at(path, key));
  }
}

/** Field table for T: the mapped type makes tsc fail here when messages.ts gains or loses a field. */
type Fields<T> = { [K in keyof T]-?: undefined extends T[K] ? OptionalCheck : Check };

function shape<T>(fields: Fields<T>): Check {
  const table = fields as Record<string, FieldCheck>;
  return (v, p) => {
    if (!isPlainObject(v)) fail(p, "a map", v);
    checkFields(v, table, p);
  };
}

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
const maskedPassage = shape<MaskedPassage>({ maskId: str, masked: str });
const maskAnswer = shape<MaskAnswer>({ maskId: str, span: strOrNull, invalid: opt(str) });

type MessageFields = { [K in MessageType]: Fields<Omit<Extract<Message, { type: K }>, "type">> };

/** Required fields and their types, per message type. */
const MESSAGE_FIELDS: MessageFields = {
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
  scored: { step: nat, passage: str, groups: arrayOf(scoredGroup) },
  masks: { step: nat, version: nat, passage: str, masks: arrayOf(maskedPassage) },
  answers: { step: nat, passage: str, answers: arrayOf(maskAnswer) },
  proposals: {
    step: nat,
    version: nat,
    batch: str,
    taskType: str,
    proposals: arrayOf(
      shape<Proposals["proposals"][number]>({
        key: str,
        rollouts: arrayOf(shape<Proposals["proposals"][number]["rollouts"][number]>({ program: str, inputs: arrayOf(str), message: opt(str), invalid: opt(str) })),
      }),
    ),
  },
  tasks: { step: nat, version: nat, batch: str, tasks: arrayOf(shape<Tasks["tasks"][number]>({ key: str, prompt: str })) },
  validated: {
    step: nat,
    batch: str,
    taskType: str,
    triplets: arrayOf(shape<Validated["triplets"][number]>({ program: str, input: str, output: str, message: opt(str) })),
  },
  predictions: {
    step: nat,
    passage: str,
    groups: arrayOf(shape<{ maskId: string; completions: string[] }>({ maskId: str, completions: arrayOf(str) })),
  },
};

export const MESSAGE_TYPES: readonly MessageType[] = Object.keys(STAGE_RANK) as MessageType[];

/**
 * Checks that `value` has the shape of a protocol message and returns it typed. Unknown extra
 * fields are allowed (ignored) so that adding an optional field is not a breaking change.
 */
export function validateMessage(value: unknown, path = "msg"): Message {
  if (!isPlainObject(value)) fail(path, "a map", value);
  const type = value.type;
  if (typeof type !== "string" || !Object.hasOwn(MESSAGE_FIELDS, type)) {
    fail(`${path}.type`, `one of ${MESSAGE_TYPES.join(", ")}`, type);
  }
  const fields = MESSAGE_FIELDS[type as MessageType] as Record<string, FieldCheck>;
  try {
    checkFields(value, fields, null);
  } catch (e) {
    if (e !== RETRY_WITH_PATHS) throw e;
    checkFields(value, fields, path);
  }
  return value as unknown as Message;
}

/** Checks that `value` is a well-formed envelope of this protocol version and returns it typed. */
export function validateEnvelope(value: unknown): Envelope {
  if (!isPlainObject(value)) {
    throw new CodecError(`malformed message: envelope must be a map, got ${describe(value)}`);
  }
  if (value.v !== PROTOCOL_VERSION) {
    if (typeof value.v === "number") {
      throw new CodecError(
        `malformed message: protocol version ${value.v} is not supported; this build speaks version ${PROTOCOL_VERSION}`,
      );
    }
    fail("v", `the protocol version ${PROTOCOL_VERSION}`, value.v);
  }
  str(value.id, "id");
  actor(value.from, "from");
  actor(value.to, "to");
  validateMessage(value.msg, "msg");
  return value as unknown as Envelope;
}
