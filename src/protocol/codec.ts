// msgpack codec for the wire protocol. Encoding is deterministic (map keys in insertion order,
// non-integers always as float64), so the same message always yields the same bytes; the episode
// log relies on that for byte-identical recordings.
//
// Decoding validates structure against a per-type table. A worker that receives a malformed
// envelope gets a one-line CodecError naming the field, instead of a TypeError three calls later.

import { decodeValue, encodeValue } from "./value-codec.ts";
import { mapFields, readString, type Field } from "./scan.ts";
import { type Envelope, type Message, PROTOCOL_VERSION } from "./messages.ts";
import { MESSAGE_FIELDS, MESSAGE_TYPES } from "./message-table.ts";
import { actor, checkFields, CodecError, describe, fail, isPlainObject, RETRY_WITH_PATHS, str, type FieldCheck } from "./schema.ts";

export { CodecError, describe } from "./schema.ts";
export { decodeValue, encodeValue } from "./value-codec.ts";
export { MESSAGE_TYPES } from "./message-table.ts";


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
 * Checks that `value` has the shape of a protocol message and returns it typed. Unknown extra
 * fields are allowed (ignored) so that adding an optional field is not a breaking change.
 */
export function validateMessage(value: unknown, path = "msg"): Message {
  if (!isPlainObject(value)) fail(path, "a map", value);
  const type = value.type;
  const fields = typeof type === "string" ? (MESSAGE_FIELDS.get(type) as Record<string, FieldCheck> | undefined) : undefined;
  if (!fields) fail(`${path}.type`, `one of ${MESSAGE_TYPES.join(", ")}`, type);
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
