import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  CodecError,
  decodeEnvelope,
  decodeValue,
  encodeEnvelope,
  encodeValue,
  MESSAGE_TYPES,
  validateMessage,
} from "../../src/protocol/codec.ts";
import { type Envelope, type MessageType, PROTOCOL_VERSION } from "../../src/protocol/messages.ts";
import { STAGE_RANK } from "../../src/protocol/message-table.ts";
import { envelopeOf, sampleMessages } from "./sample-messages.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const messages = sampleMessages();

/** Encodes an arbitrary (possibly ill-typed) envelope-like value the way a buggy peer would. */
const raw = (value: unknown): Uint8Array => encodeValue(value);

function mutated(type: MessageType, edit: (msg: Record<string, unknown>) => void): Uint8Array {
  const env = structuredClone(envelopeOf(messages[type])) as unknown as { msg: Record<string, unknown> };
  edit(env.msg);
  return raw(env);
}

function codecErrorOf(f: () => unknown): CodecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    return e as CodecError;
  }
  throw new Error("expected a CodecError, nothing was thrown");
}

describe("envelope round trip", () => {
  test("the sample set covers every message type", () => {
    expect(Object.keys(messages).sort()).toEqual(Object.keys(STAGE_RANK).sort());
    expect([...MESSAGE_TYPES].sort() as string[]).toEqual(Object.keys(STAGE_RANK).sort());
  });

  for (const type of Object.keys(messages) as MessageType[]) {
    test(`${type} decodes to an equal envelope`, () => {
      const env = envelopeOf(messages[type]);
      const back = decodeEnvelope(encodeEnvelope(env));
      expect(back).toEqual(env);
    });
  }

  test("typed arrays come back as the same class with the same values", () => {
    const env = envelopeOf(messages["sample.response"]);
    const back = decodeEnvelope(encodeEnvelope(env)) as Envelope<typeof messages["sample.response"] & { type: "sample.response" }>;
    const c = back.msg.results[0]!.completions[0]!;
    expect(c.tokens).toBeInstanceOf(Int32Array);
    expect(c.logprobs).toBeInstanceOf(Float32Array);
    expect([...c.tokens!]).toEqual([17, -1, 2147483647, -2147483648]);
    expect([...c.logprobs!]).toEqual([-0.5, -1.25, -0, Number.NEGATIVE_INFINITY]);
    expect(Object.is(c.logprobs![2], -0)).toBe(true);
  });

  test("typed-array subviews encode only their own elements", () => {
    const big = new Float32Array([1, 2, 3, 4, 5, 6]);
    const back = decodeValue(encodeValue({ x: big.subarray(2, 4) })) as { x: Float32Array };
    expect(back.x).toBeInstanceOf(Float32Array);
    expect([...back.x]).toEqual([3, 4]);
  });

  test("decoded typed arrays do not alias the input bytes", () => {
    const bytes = encodeValue(new Int32Array([1, 2, 3]));
    const back = decodeValue(bytes) as Int32Array;
    bytes.fill(0);
    expect([...back]).toEqual([1, 2, 3]);
  });

  test("encoded bytes own their buffer and survive later encodes", () => {
    const a = encodeEnvelope(envelopeOf(messages.masks));
    const copyOfA = a.slice();
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(a.length);
    encodeEnvelope(envelopeOf(messages.predictions));
    encodeValue({ filler: "x".repeat(10_000) });
    expect(a).toEqual(copyOfA);
    // Transferable: detaching the buffer must not affect another encode.
    const b = encodeEnvelope(envelopeOf(messages.masks));
    structuredClone(b, { transfer: [b.buffer] });
    expect(b.byteLength).toBe(0);
    expect(decodeEnvelope(encodeEnvelope(envelopeOf(messages.masks)))).toEqual(envelopeOf(messages.masks));
  });

  test("encoding is deterministic", () => {
    for (const type of Object.keys(messages) as MessageType[]) {
      expect(encodeEnvelope(envelopeOf(sampleMessages()[type]))).toEqual(encodeEnvelope(envelopeOf(sampleMessages()[type])));
    }
  });

  test("unknown extra fields are carried, not rejected", () => {
    const bytes = mutated("masks", (m) => {
      m.extra = { note: "future field" };
    });
    expect((decodeEnvelope(bytes).msg as unknown as Record<string, unknown>).extra).toEqual({ note: "future field" });
  });
});

describe("malformed bytes are rejected with CodecError", () => {
  test("random garbage never decodes to an envelope and never throws anything else", () => {
    // A fixed xorshift stream: reproducible failures, independent of the project's RNG.
    let state = 0x9e3779b9;
    const next = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    for (let i = 0; i < 2000; i++) {
      const len = 1 + (next() % 64);
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = next() & 0xff;
      codecErrorOf(() => decodeEnvelope(bytes));
    }
  });

  test("every truncation of a valid envelope is rejected", () => {
    const bytes = encodeEnvelope(envelopeOf(messages["sample.response"]));
    for (let cut = 0; cut < bytes.length; cut++) {
      const err = codecErrorOf(() => decodeEnvelope(bytes.subarray(0, cut)));
      expect(err.message).toStartWith("malformed message:");
    }
  });

  test("trailing bytes after a valid envelope are rejected", () => {
    const bytes = encodeEnvelope(envelopeOf(messages.masks));
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    codecErrorOf(() => decodeEnvelope(longer));
  });

  test("empty input is rejected", () => {
    expect(codecErrorOf(() => decodeEnvelope(new Uint8Array(0))).message).toContain("not decodable msgpack");
  });

  test("a non-map envelope is rejected", () => {
    expect(codecErrorOf(() => decodeEnvelope(raw([1, 2]))).message).toBe("malformed message: envelope must be a map, got an array of 2");
    expect(codecErrorOf(() => decodeEnvelope(raw("hi"))).message).toBe('malformed message: envelope must be a map, got "hi"');
  });

  test("a different protocol version is rejected with both versions named", () => {
    const env = { ...envelopeOf(messages.masks), v: 2 };
    expect(codecErrorOf(() => decodeEnvelope(raw(env))).message).toBe(
      `malformed message: protocol version 2 is not supported; this build speaks version ${PROTOCOL_VERSION}`,
    );
    const { v: _v, ...noVersion } = envelopeOf(messages.masks);
    expect(codecErrorOf(() => decodeEnvelope(raw(noVersion))).message).toBe(
      `malformed message: field v is missing; expected the protocol version ${PROTOCOL_VERSION}`,
    );
  });

  test("bad routing fields are rejected", () => {
    expect(codecErrorOf(() => decodeEnvelope(raw({ ...envelopeOf(messages.masks), from: "trainer" }))).message).toBe(
      'malformed message: field from must be one of generator, predictor, reward, learner, got "trainer"',
    );
    expect(codecErrorOf(() => decodeEnvelope(raw({ ...envelopeOf(messages.masks), id: 7 }))).message).toBe(
      "malformed message: field id must be a string, got 7",
    );
  });

  test("an unknown message type is rejected with the known types listed", () => {
    const err = codecErrorOf(() => decodeEnvelope(mutated("masks", (m) => (m.type = "mask"))));
    expect(err.message).toBe(`malformed message: field msg.type must be one of ${MESSAGE_TYPES.join(", ")}, got "mask"`);
  });

  test("a string where an integer belongs is named by path", () => {
    const err = codecErrorOf(() => decodeEnvelope(mutated("masks", (m) => (m.step = "x"))));
    expect(err.message).toBe('malformed message: field msg.step must be a non-negative integer, got "x"');
  });

  test("fractional and negative integers are rejected", () => {
    expect(codecErrorOf(() => decodeEnvelope(mutated("sample.request", (m) => (m.n = 1.5)))).message).toContain("msg.n must be a non-negative integer, got 1.5");
    expect(codecErrorOf(() => decodeEnvelope(mutated("masks", (m) => (m.version = -1)))).message).toContain("msg.version must be a non-negative integer, got -1");
  });

  test("a missing required field is named", () => {
    const err = codecErrorOf(() => decodeEnvelope(mutated("policy.version", (m) => delete m.digest)));
    expect(err.message).toBe("malformed message: field msg.digest is missing; expected a string");
  });

  test("nested fields are checked with their full path", () => {
    const cases: [MessageType, (m: Record<string, unknown>) => void, string][] = [
      ["sample.response", (m) => ((m.results as { completions: { tokens: unknown }[] }[])[0]!.completions[0]!.tokens = [1, 2]), "msg.results[0].completions[0].tokens must be an Int32Array, got an array of 2"],
      ["sample.response", (m) => ((m.results as { completions: { logprobs: unknown }[] }[])[0]!.completions[0]!.logprobs = new Float64Array(2)), "msg.results[0].completions[0].logprobs must be a Float32Array, got Float64Array(2)"],
      ["scored", (m) => ((m.groups as { rewards: unknown[] }[])[1]!.rewards[1] = "1"), 'msg.groups[1].rewards[1] must be a number, got "1"'],
      ["scored", (m) => ((m.groups as { role: unknown }[])[0]!.role = "learner"), 'msg.groups[0].role must be one of generator, predictor, got "learner"'],
      ["answers", (m) => ((m.answers as { span: unknown }[])[0]!.span = 3), "msg.answers[0].span must be a string or null, got 3"],
      ["predictions", (m) => ((m.groups as { completions: unknown[] }[])[0]!.completions[2] = null), "msg.groups[0].completions[2] must be a string, got null"],
      ["policy.version", (m) => ((m.stats as Record<string, unknown>).loss = "nan"), 'msg.stats.loss must be a number, got "nan"'],
      ["sample.request", (m) => (m.prompts = { key: "a" }), "msg.prompts must be an array, got a map"],
      ["masks", (m) => ((m.masks as unknown[])[0] = "s3/p0/g1"), 'msg.masks[0] must be a map, got "s3/p0/g1"'],
    ];
    for (const [type, edit, expected] of cases) {
      expect(codecErrorOf(() => decodeEnvelope(mutated(type, edit))).message).toBe(`malformed message: field ${expected}`);
    }
  });

  test("optional fields may be absent but not ill-typed", () => {
    expect(() => decodeEnvelope(mutated("policy.version", (m) => delete m.stats))).not.toThrow();
    expect(codecErrorOf(() => decodeEnvelope(mutated("policy.version", (m) => (m.stats = 1)))).message).toContain("msg.stats must be a map, got 1");
  });

  test("encodeEnvelope refuses an ill-typed message at the sender", () => {
    const env = envelopeOf(messages.masks);
    (env.msg as unknown as Record<string, unknown>).passage = 12;
    expect(codecErrorOf(() => encodeEnvelope(env)).message).toBe("malformed message: field msg.passage must be a string, got 12");
  });

  test("error messages are one line", () => {
    const err = codecErrorOf(() => validateMessage({ type: "masks", step: "x\ny" }));
    expect(err.message).not.toContain("\n");
  });

  test("CodecError carries exit code 2", () => {
    expect(new CodecError("x").exitCode).toBe(2);
  });
});
