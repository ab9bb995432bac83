// msgpack encoding of plain values, deterministic (map keys in insertion order, non-integers always
// as float64). Messages, checkpoints and caches all go through it; it knows no message types.

import { Packr } from "msgpackr";
import { CodecError, describe } from "./schema.ts";

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

