// An independent reader of TensorBoard event files for the tests: the TFRecord framing parsed here,
// CRCs checked with a bit-at-a-time CRC-32C (not the table the writer uses), and the Event protos
// decoded by protobufjs from the .proto text of TensorFlow's event.proto and summary.proto (field
// numbers as published; fields scalars do not use are left out).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";

const EVENT_PROTO = `
syntax = "proto3";
package tensorflow;
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
    }
  }
  repeated Value value = 1;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
  }
}
`;

const Event = protobuf.parse(EVENT_PROTO).root.lookupType("tensorflow.Event");

function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function masked(bytes: Uint8Array): number {
  const c = crc32cBitwise(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; simpleValue: number }[];
}

/** Every record of one event file; throws on a bad CRC or a torn record. */
export function readEventFile(path: string): ReadEvent[] {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ReadEvent[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw new Error(`${path}: torn record header at ${at}`);
    const lenBytes = bytes.subarray(at, at + 8);
    if (view.getUint32(at + 8, true) !== masked(lenBytes)) throw new Error(`${path}: bad length CRC at ${at}`);
    const len = Number(view.getBigUint64(at, true));
    const data = bytes.subarray(at + 12, at + 12 + len);
    if (data.length !== len || at + 16 + len > bytes.length) throw new Error(`${path}: torn record at ${at}`);
    if (view.getUint32(at + 12 + len, true) !== masked(data)) throw new Error(`${path}: bad data CRC at ${at}`);
    const e = Event.toObject(Event.decode(data), { longs: Number, defaults: false }) as {
      wallTime?: number;
      step?: number;
      fileVersion?: string;
      summary?: { value?: { tag: string; simpleValue: number }[] };
    };
    out.push({ wallTime: e.wallTime ?? 0, step: e.step ?? 0, ...(e.fileVersion !== undefined ? { fileVersion: e.fileVersion } : {}), values: e.summary?.value ?? [] });
    at += 16 + len;
  }
  return out;
}

/** The event files of a folder in the order TensorBoard reads them (by name). */
export function eventFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.includes("tfevents"))
    .sort()
    .map((n) => join(dir, n));
}

/** step -> tag -> value over all files of a folder; a (step, tag) written twice throws. */
export function scalarsByStep(dir: string): Map<number, Map<string, number>> {
  const by = new Map<number, Map<string, number>>();
  for (const f of eventFiles(dir)) {
    for (const e of readEventFile(f)) {
      for (const v of e.values) {
        let m = by.get(e.step);
        if (!m) by.set(e.step, (m = new Map()));
        if (m.has(v.tag)) throw new Error(`step ${e.step} tag ${v.tag} written twice`);
        m.set(v.tag, v.simpleValue);
      }
    }
  }
  return by;
}
