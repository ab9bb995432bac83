// The scanner must agree with msgpackr about where every value ends, and the raw-bytes paths built
// on it (envelopes around recorded messages, peeking an envelope) must equal the decoding paths.

import { describe, expect, test } from "bun:test";
import { Packr } from "msgpackr";
import { decodeEnvelope, encodeEnvelope, encodeEnvelopeAround, encodeValue, peekEnvelope } from "../../src/protocol/codec.ts";
import { PROTOCOL_VERSION } from "../../src/protocol/messages.ts";
import { mapFields, readString, readUint, skipValue } from "../../src/protocol/scan.ts";
import { envelopeOf, sampleMessages } from "./sample-messages.ts";

const long = (n: number) => "x".repeat(n);
// One row per msgpack type family, with the sizes that switch its encoding.
const VALUES: [string, unknown][] = [
  ["positive fixint", 5],
  ["negative fixint", -3],
  ["uint8", 200],
  ["uint16", 60_000],
  ["uint32", 4_000_000_000],
  ["uint64", 2 ** 53 - 1],
  ["int8", -100],
  ["int16", -30_000],
  ["int32", -2_000_000_000],
  ["int64", -(2 ** 40)],
  ["float64", 0.1],
  ["nil", null],
  ["true", true],
  ["false", false],
  ["fixstr", "abc"],
  ["str8", long(40)],
  ["str16", long(300)],
  ["str32", long(70_000)],
  ["non-ASCII", "Zürich — 東京"],
  ["fixarray", [1, "a", null]],
  ["array16", Array.from({ length: 20 }, (_, i) => i)],
  ["array32", Array.from({ length: 70_000 }, (_, i) => i % 3)],
  ["fixmap", { a: 1, b: [2, 3] }],
  ["map16", Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))],
  ["bin (Uint8Array)", new Uint8Array([1, 2, 3])],
  ["Int32Array ext", new Int32Array([1, -2, 3])],
  ["Float32Array ext", new Float32Array(1000).fill(0.5)],
  ["nested", { a: [{ b: { c: [new Int32Array(3), "s", 1.5] } }], d: null }],
  ["undefined", undefined],
];

describe("skipValue", () => {
  for (const [name, value] of VALUES) {
    test(`ends where msgpackr's encoding of ${name} ends`, () => {
      const bytes = encodeValue(value);
      expect(skipValue(bytes, 0)).toBe(bytes.length);
      // And inside a map, next to other fields.
      const wrapped = encodeValue({ before: 1, v: value, after: "z" });
      const f = mapFields(wrapped)!;
      expect([...f.keys()]).toEqual(["before", "v", "after"]);
      expect(Buffer.from(wrapped.subarray(f.get("v")!.start, f.get("v")!.end)).equals(Buffer.from(bytes))).toBe(true);
    });
  }

  test("agrees with a packer that writes maps and strings in their smallest forms", () => {
    const compact = new Packr({ useRecords: false, variableMapSize: true });
    for (const [, value] of VALUES) {
      const bytes = compact.pack(value);
      expect(skipValue(bytes, 0)).toBe(bytes.length);
    }
  });

  test("a value cut short is a RangeError, never a wrong end", () => {
    const bytes = encodeValue({ a: [1, 2, "three"], b: long(50) });
    for (let cut = 1; cut < bytes.length; cut++) expect(() => skipValue(bytes.subarray(0, cut), 0)).toThrow(RangeError);
  });

  test("the never-used type byte is refused", () => {
    expect(() => skipValue(new Uint8Array([0xc1]), 0)).toThrow(RangeError);
  });
});

describe("mapFields, readString, readUint", () => {
  test("read the scalars of a map without decoding its other values", () => {
    const bytes = encodeValue({ seq: 70_000, id: "s3/p1", big: new Float32Array(10), who: "Zürich" });
    const f = mapFields(bytes)!;
    expect(readUint(bytes, f.get("seq")!)).toBe(70_000);
    expect(readString(bytes, f.get("id")!)).toBe("s3/p1");
    expect(readString(bytes, f.get("who")!)).toBe("Zürich");
    expect(readString(bytes, f.get("seq")!)).toBeNull();
    expect(readUint(bytes, f.get("id")!)).toBeNull();
  });

  test("anything but a map with string keys that ends where it should is null", () => {
    expect(mapFields(encodeValue([1, 2]))).toBeNull();
    expect(mapFields(encodeValue("a"))).toBeNull();
    expect(mapFields(new Uint8Array(0))).toBeNull();
    const m = encodeValue({ a: 1 });
    expect(mapFields(m.subarray(0, m.length - 1))).toBeNull();
    expect(mapFields(new Uint8Array([...m, 0]))).toBeNull();
    expect(mapFields(new Packr({ useRecords: false, variableMapSize: true }).pack(new Map([[1, 2]])))).toBeNull();
  });
});

describe("envelopes as raw bytes", () => {
  for (const msg of Object.values(sampleMessages(3))) {
    test(`a ${msg.type} envelope built around its encoded message equals the encoded envelope`, () => {
      const env = envelopeOf(msg, "p1");
      const { msg: _m, ...head } = env;
      const around = encodeEnvelopeAround(head, encodeValue(msg));
      expect(Buffer.from(around).equals(Buffer.from(encodeEnvelope(env)))).toBe(true);
      expect(decodeEnvelope(around)).toEqual(env);
      const peek = peekEnvelope(around)!;
      expect([peek.id, peek.from, peek.to]).toEqual([env.id, env.from, env.to]);
      expect(Buffer.from(around.subarray(peek.msg.start, peek.msg.end)).equals(Buffer.from(encodeValue(msg)))).toBe(true);
    });
  }

  test("a map that is not an envelope does not peek as one", () => {
    expect(peekEnvelope(encodeValue({ v: PROTOCOL_VERSION, id: "x", from: "a", to: "b" }))).toBeNull();
    expect(peekEnvelope(encodeValue({ v: PROTOCOL_VERSION, id: 1, from: "a", to: "b", msg: {} }))).toBeNull();
    expect(peekEnvelope(encodeValue("envelope"))).toBeNull();
  });
});
