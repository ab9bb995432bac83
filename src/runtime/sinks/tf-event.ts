// The few fields of TensorFlow's Event protocol buffer (tensorflow/core/util/event.proto and
// framework/summary.proto) that scalar logging needs, encoded by hand:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
// TensorBoard reads simple_value summaries as scalars.

export interface TfEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** Scalars by tag, in order. */
  scalars?: { tag: string; value: number }[];
}

/** The version string of the first event of a file: TensorBoard's current event format. */
export const FILE_VERSION = "brain.Event:2";

const utf8 = new TextEncoder();

class Writer {
  private parts: number[] = [];
  varint(n: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
  }
  double(field: number, x: number): void {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, true);
    for (const v of b) this.parts.push(v);
  }
  float(field: number, x: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    for (const v of b) this.parts.push(v);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function encodeEvent(e: TfEvent): Uint8Array {
  const w = new Writer();
  w.double(1, e.wallTime);
  w.tag(2, 0);
  w.varint(e.step);
  if (e.fileVersion !== undefined) w.bytes(3, utf8.encode(e.fileVersion));
  if (e.scalars) {
    const summary = new Writer();
    for (const s of e.scalars) {
      const value = new Writer();
      value.bytes(1, utf8.encode(s.tag));
      value.float(2, s.value);
      summary.bytes(1, value.finish());
    }
    w.bytes(5, summary.finish());
  }
  return w.finish();
}

/** Field number, wire type and payload of each field of one message; unknown fields are skipped. */
function* fields(b: Uint8Array): Generator<{ field: number; wire: number; varint?: bigint; bytes?: Uint8Array }> {
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= b.length) throw new Error("truncated varint");
      const x = b[at++]!;
      v |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) return v;
    }
  };
  while (at < b.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, wire, varint: varint() };
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (at + n > b.length) throw new Error("truncated fixed field");
      yield { field, wire, bytes: b.subarray(at, at + n) };
      at += n;
    } else if (wire === 2) {
      const n = Number(varint());
      if (at + n > b.length) throw new Error("truncated length-delimited field");
      yield { field, wire, bytes: b.subarray(at, at + n) };
      at += n;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = new TextDecoder();
const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Decodes what encodeEvent writes (used to cut a resumed run's event files back to its checkpoint). */
export function decodeEvent(b: Uint8Array): TfEvent {
  const e: TfEvent = { wallTime: 0, step: 0 };
  for (const f of fields(b)) {
    if (f.field === 1 && f.wire === 1) e.wallTime = le(f.bytes!).getFloat64(0, true);
    else if (f.field === 2 && f.wire === 0) e.step = Number(BigInt.asIntN(64, f.varint!));
    else if (f.field === 3 && f.wire === 2) e.fileVersion = text.decode(f.bytes!);
    else if (f.field === 5 && f.wire === 2) {
      const scalars: { tag: string; value: number }[] = [];
      for (const v of fields(f.bytes!)) {
        if (v.field !== 1 || v.wire !== 2) continue;
        let tag = "";
        let value = 0;
        for (const x of fields(v.bytes!)) {
          if (x.field === 1 && x.wire === 2) tag = text.decode(x.bytes!);
          else if (x.field === 2 && x.wire === 5) value = le(x.bytes!).getFloat32(0, true);
        }
        scalars.push({ tag, value });
      }
      e.scalars = scalars;
    }
  }
  return e;
}
