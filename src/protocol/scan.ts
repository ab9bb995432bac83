// Reads the top level of a msgpack map without decoding its values: each field's byte range, and
// the few scalars (ids, steps) a reader needs to route a message. Replay uses it to feed and compare
// recorded messages as raw bytes, so only the actor under replay pays for decoding them.
// Anything this does not understand returns null, and callers fall back to a full decode.

export interface Field {
  start: number;
  end: number;
}

const be16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const be32 = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;

/** End offset of the msgpack value starting at `at` (MessagePack spec, every type); throws RangeError past the end. */
export function skipValue(b: Uint8Array, at: number): number {
  let pending = 1;
  while (pending > 0) {
    pending--;
    if (at >= b.length) throw new RangeError("msgpack value runs past the end");
    const t = b[at]!;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) at += 1;
    else if (t <= 0x8f) (pending += 2 * (t & 0x0f)), (at += 1);
    else if (t <= 0x9f) (pending += t & 0x0f), (at += 1);
    else if (t <= 0xbf) at += 1 + (t & 0x1f);
    else if (t === 0xc4 || t === 0xd9) at += 2 + b[at + 1]!;
    else if (t === 0xc5 || t === 0xda) at += 3 + be16(b, at + 1);
    else if (t === 0xc6 || t === 0xdb) at += 5 + be32(b, at + 1);
    else if (t === 0xc7) at += 3 + b[at + 1]!;
    else if (t === 0xc8) at += 4 + be16(b, at + 1);
    else if (t === 0xc9) at += 6 + be32(b, at + 1);
    else if (t === 0xca) at += 5;
    else if (t === 0xcb) at += 9;
    else if (t === 0xcc || t === 0xd0) at += 2;
    else if (t === 0xcd || t === 0xd1) at += 3;
    else if (t === 0xce || t === 0xd2) at += 5;
    else if (t === 0xcf || t === 0xd3) at += 9;
    else if (t >= 0xd4 && t <= 0xd8) at += 2 + (1 << (t - 0xd4));
    else if (t === 0xdc) (pending += be16(b, at + 1)), (at += 3);
    else if (t === 0xdd) (pending += be32(b, at + 1)), (at += 5);
    else if (t === 0xde) (pending += 2 * be16(b, at + 1)), (at += 3);
    else if (t === 0xdf) (pending += 2 * be32(b, at + 1)), (at += 5);
    else throw new RangeError(`msgpack type byte 0x${t.toString(16)} is never used`);
    // Also catches a length field cut off (NaN).
    if (!(at <= b.length)) throw new RangeError("msgpack value runs past the end");
  }
  return at;
}

/** The string at `f`, or null when it is not a msgpack string. Pass a Buffer when reading many. */
export function readString(b: Uint8Array, f: Field): string | null {
  const t = b[f.start]!;
  const head = t >= 0xa0 && t <= 0xbf ? 1 : t === 0xd9 ? 2 : t === 0xda ? 3 : t === 0xdb ? 5 : 0;
  if (head === 0) return null;
  const from = f.start + head;
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return buf.toString("utf8", from, f.end);
}

/** The non-negative integer at `f` (up to 2^53), or null when it is not one. */
export function readUint(b: Uint8Array, f: Field): number | null {
  const t = b[f.start]!;
  if (t <= 0x7f) return t;
  if (t === 0xcc) return b[f.start + 1]!;
  if (t === 0xcd) return be16(b, f.start + 1);
  if (t === 0xce) return be32(b, f.start + 1);
  if (t === 0xcf) {
    const v = be32(b, f.start + 1) * 2 ** 32 + be32(b, f.start + 5);
    return Number.isSafeInteger(v) ? v : null;
  }
  return null;
}

/**
 * The fields of the msgpack map at `at`, in order, keyed by name; null when the bytes there are not
 * a map with string keys that ends exactly at `end`. With `lastToEnd`, the last value is taken to
 * run to `end` without walking it (its decoder checks it later): a message is the last field of a
 * log record and of an envelope, and walking it would cost most of what decoding does.
 */
export function mapFields(b: Uint8Array, at = 0, end = b.length, lastToEnd = false): Map<string, Field> | null {
  if (!Buffer.isBuffer(b)) b = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  try {
    const t = b[at];
    if (t === undefined) return null;
    let n: number;
    if (t >= 0x80 && t <= 0x8f) (n = t & 0x0f), (at += 1);
    else if (t === 0xde) (n = be16(b, at + 1)), (at += 3);
    else if (t === 0xdf) (n = be32(b, at + 1)), (at += 5);
    else return null;
    const out = new Map<string, Field>();
    for (let i = 0; i < n; i++) {
      const keyEnd = skipValue(b, at);
      const key = readString(b, { start: at, end: keyEnd });
      if (key === null || out.has(key)) return null;
      if (lastToEnd && i === n - 1) {
        if (keyEnd >= end) return null;
        out.set(key, { start: keyEnd, end });
        return out;
      }
      const valueEnd = skipValue(b, keyEnd);
      out.set(key, { start: keyEnd, end: valueEnd });
      at = valueEnd;
    }
    return at === end ? out : null;
  } catch {
    return null;
  }
}
