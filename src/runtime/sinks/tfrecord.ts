// TFRecord framing, the container of TensorBoard event files: per record a little-endian u64 length,
// the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.

import { maskedCrc32c } from "./crc32c.ts";

export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

export interface Framed {
  /** The record's data. */
  data: Uint8Array;
  /** The whole framed record, as found in the file. */
  raw: Uint8Array;
}

/**
 * The complete, checksum-correct records at the start of `bytes`, and where they end. Reading
 * stops at the first torn or corrupt record (a crash mid-append leaves a partial last one).
 */
export function readRecords(bytes: Uint8Array): { records: Framed[]; goodBytes: number } {
  const records: Framed[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 12 <= bytes.length) {
    if (view.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8))) break;
    const len = Number(view.getBigUint64(at, true));
    const end = at + 12 + len + 4;
    if (end > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + len);
    if (view.getUint32(at + 12 + len, true) !== maskedCrc32c(data)) break;
    records.push({ data, raw: bytes.subarray(at, end) });
    at = end;
  }
  return { records, goodBytes: at };
}
