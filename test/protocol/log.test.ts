import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  EpisodeLogWriter,
  type LogEntry,
  LogError,
  LOG_MAGIC,
  MAX_FRAME_BYTES,
  iterateEpisodeLog,
  readEpisodeLog,
  repairTornTail,
} from "../../src/protocol/log.ts";
import { type Message, type MessageType, PROTOCOL_VERSION } from "../../src/protocol/messages.ts";
import { STAGE_RANK } from "../../src/protocol/message-table.ts";
import { envelopeOf, sampleMessages } from "./sample-messages.ts";
import { encodeValue } from "../../src/protocol/codec.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

let dir: string;
let counter = 0;
const fresh = (name = "run"): string => path.join(dir, `${name}-${counter++}`, "episode.log");

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "spz-log-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Entries for `steps` steps, every message type once per step, in canonical order. */
function entries(steps: number, firstStep = 0): LogEntry[][] {
  const out: LogEntry[][] = [];
  for (let step = firstStep; step < firstStep + steps; step++) {
    const msgs = Object.values(sampleMessages(step)).sort((a, b) => STAGE_RANK[a.type] - STAGE_RANK[b.type]);
    out.push(
      msgs.map((msg: Message) => {
        const env = envelopeOf(msg, `p${step}`);
        return { step, from: env.from, to: env.to, id: env.id, msg };
      }),
    );
  }
  return out;
}

function writeLog(file: string, batches: LogEntry[][], config: unknown = { seed: 7 }): void {
  const w = EpisodeLogWriter.create(file, { command: "simulate", config });
  for (const b of batches) w.append(b);
  w.close();
}

function logErrorOf(f: () => unknown): LogError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LogError);
    return e as LogError;
  }
  throw new Error("expected a LogError, nothing was thrown");
}

/** Byte offsets at which each frame starts, recovered from the length fields. */
function frameOffsets(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let at = LOG_MAGIC.length; at < bytes.length; at += 8 + view.getUint32(at, true)) out.push(at);
  return out;
}

describe("episode log round trip", () => {
  test("records come back in order with seq, routing, type and message intact", () => {
    const file = fresh();
    const batches = entries(3);
    writeLog(file, batches);
    const log = readEpisodeLog(file);
    expect(log.header).toEqual({ format: 1, protocol: PROTOCOL_VERSION, command: "simulate", config: { seed: 7 } });
    const flat = batches.flat();
    expect(log.records.length).toBe(flat.length);
    log.records.forEach((r, i) => {
      const e = flat[i]!;
      expect(r).toEqual({ seq: i + 1, step: e.step, from: e.from, to: e.to, type: e.msg.type, id: e.id, msg: e.msg });
    });
    expect(log.bytes).toBe(fs.statSync(file).size);
    expect(log.tornTail).toBeUndefined();
  });

  test("typed arrays in logged messages come back as the same class", () => {
    const file = fresh();
    writeLog(file, entries(1));
    const rec = readEpisodeLog(file).records.find((r) => r.type === "sample.response")!;
    if (rec.msg.type !== "sample.response") throw new Error("unreachable");
    const c = rec.msg.results[0]!.completions[0]!;
    expect(c.tokens).toBeInstanceOf(Int32Array);
    expect(c.logprobs).toBeInstanceOf(Float32Array);
    expect([...c.tokens!]).toEqual([17, -1, 2147483647, -2147483648]);
  });

  test("the file starts with the magic and frames are length, payload, crc32", () => {
    const file = fresh();
    writeLog(file, entries(1));
    const bytes = new Uint8Array(fs.readFileSync(file));
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe("SPZLOG01");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const at of frameOffsets(bytes)) {
      const len = view.getUint32(at, true);
      const payload = bytes.subarray(at + 4, at + 4 + len);
      expect(view.getUint32(at + 4 + len, true)).toBe(Bun.hash.crc32(payload) >>> 0);
    }
    expect(frameOffsets(bytes).length).toBe(1 + Object.keys(STAGE_RANK).length);
  });

  test("crc32 is the standard (zlib) polynomial", () => {
    expect(Bun.hash.crc32(new TextEncoder().encode("123456789")) >>> 0).toBe(0xcbf43926);
  });

  test("identical appends write byte-identical files", () => {
    const a = fresh();
    const b = fresh();
    writeLog(a, entries(4));
    writeLog(b, entries(4));
    expect(new Uint8Array(fs.readFileSync(a))).toEqual(new Uint8Array(fs.readFileSync(b)));
  });

  test("the header does not depend on the key order of the config", () => {
    const a = fresh();
    const b = fresh();
    writeLog(a, [], { seed: 7, steps: 3, nested: { y: 1, x: [{ b: 1, a: 2 }] } });
    writeLog(b, [], { nested: { x: [{ a: 2, b: 1 }], y: 1 }, steps: 3, seed: 7 });
    expect(new Uint8Array(fs.readFileSync(a))).toEqual(new Uint8Array(fs.readFileSync(b)));
    expect(readEpisodeLog(a).header.config).toEqual({ nested: { x: [{ a: 2, b: 1 }], y: 1 }, seed: 7, steps: 3 });
  });

  test("batching does not change the bytes", () => {
    const a = fresh();
    const b = fresh();
    writeLog(a, entries(2));
    writeLog(b, entries(2).flat().map((e) => [e]));
    expect(new Uint8Array(fs.readFileSync(a))).toEqual(new Uint8Array(fs.readFileSync(b)));
  });

  test("the streaming iterator yields the same records", () => {
    const file = fresh();
    writeLog(file, entries(2));
    expect([...iterateEpisodeLog(file)]).toEqual(readEpisodeLog(file).records);
  });

  test("a header-only log reads as zero records", () => {
    const file = fresh();
    writeLog(file, []);
    const log = readEpisodeLog(file);
    expect(log.records).toEqual([]);
    expect(log.header.command).toBe("simulate");
  });

  test("reopen continues the seq numbers", () => {
    const file = fresh();
    const [first, second] = entries(2);
    writeLog(file, [first!]);
    const w = EpisodeLogWriter.reopen(file);
    expect(w.nextSeq).toBe(first!.length + 1);
    w.append(second!);
    w.close();
    const log = readEpisodeLog(file);
    expect(log.records.map((r) => r.seq)).toEqual(log.records.map((_, i) => i + 1));
    const whole = fresh();
    writeLog(whole, [first!, second!]);
    expect(new Uint8Array(fs.readFileSync(file))).toEqual(new Uint8Array(fs.readFileSync(whole)));
  });
});

describe("episode log writer", () => {
  test("refuses to overwrite an existing file and leaves it untouched", () => {
    const file = fresh();
    writeLog(file, entries(1));
    const before = fs.readFileSync(file);
    const err = logErrorOf(() => EpisodeLogWriter.create(file, { command: "simulate", config: {} }));
    expect(err.message).toBe(`log already exists: ${file} (choose another --record path)`);
    expect(fs.readFileSync(file)).toEqual(before);
  });

  test("creates missing parent directories", () => {
    const file = path.join(dir, `deep-${counter++}`, "a", "b", "c.log");
    writeLog(file, []);
    expect(fs.existsSync(file)).toBe(true);
  });

  test("an invalid message is refused and nothing of its batch is written", () => {
    const file = fresh();
    const w = EpisodeLogWriter.create(file, { command: "simulate", config: {} });
    const size = w.bytes;
    const [batch] = entries(1);
    const bad = { ...batch![1]!, msg: { ...batch![1]!.msg, step: "x" } as unknown as Message };
    const err = logErrorOf(() => w.append([batch![0]!, bad]));
    expect(err.message).toBe('log record 2: malformed message: field msg.step must be a non-negative integer, got "x"');
    w.close();
    expect(fs.statSync(file).size).toBe(size);
    expect(readEpisodeLog(file).records).toEqual([]);
  });

  test("appending after close is an error", () => {
    const file = fresh();
    const w = EpisodeLogWriter.create(file, { command: "simulate", config: {} });
    w.close();
    w.close();
    expect(logErrorOf(() => w.append(entries(1)[0]!)).message).toContain("is closed");
  });
});

describe("torn tail", () => {
  function tornLog(cut: number): { file: string; goodSize: number; lastSeq: number } {
    const file = fresh("torn");
    writeLog(file, entries(2));
    const goodSize = fs.statSync(file).size;
    const lastSeq = readEpisodeLog(file).records.at(-1)!.seq;
    fs.truncateSync(file, goodSize - cut);
    return { file, goodSize, lastSeq };
  }

  test("a truncated last frame is reported with its offset and the last good record", () => {
    const file = fresh("torn");
    writeLog(file, entries(2));
    const full = new Uint8Array(fs.readFileSync(file));
    const lastStart = frameOffsets(full).at(-1)!;
    const lastSeq = frameOffsets(full).length - 1;
    fs.truncateSync(file, full.length - 3);
    const err = logErrorOf(() => readEpisodeLog(file));
    expect(err.message).toBe(
      `torn tail at byte ${lastStart} after record ${lastSeq - 1} (${full.length - 3 - lastStart} trailing bytes) in ${file}: the run was interrupted while writing`,
    );
    expect(err.offset).toBe(lastStart);
  });

  test("every possible truncation point is detected as a torn tail, never misread", () => {
    const file = fresh("cuts");
    writeLog(file, entries(1));
    const full = new Uint8Array(fs.readFileSync(file));
    const offsets = frameOffsets(full);
    const headerEnd = offsets[1]!;
    const cutFile = fresh("cut");
    fs.mkdirSync(path.dirname(cutFile), { recursive: true });
    for (let len = headerEnd + 1; len < full.length; len++) {
      fs.writeFileSync(cutFile, full.subarray(0, len));
      const complete = offsets.filter((o, i) => (offsets[i + 1] ?? full.length) <= len).length - 1;
      if (offsets.includes(len)) {
        // A cut exactly on a frame boundary is a shorter, complete log.
        expect(readEpisodeLog(cutFile).records.length).toBe(complete);
        continue;
      }
      const err = logErrorOf(() => readEpisodeLog(cutFile));
      expect(err.message).toStartWith("torn tail at byte ");
      const log = readEpisodeLog(cutFile, { allowTornTail: true });
      expect(log.records.length).toBe(complete);
      expect(log.tornTail!.afterSeq).toBe(complete);
      expect(log.tornTail!.offset + log.tornTail!.bytes).toBe(len);
    }
  });

  test("allowTornTail returns the good prefix and what is torn", () => {
    const { file, lastSeq } = tornLog(5);
    const log = readEpisodeLog(file, { allowTornTail: true });
    expect(log.records.length).toBe(lastSeq - 1);
    expect(log.records.at(-1)!.seq).toBe(lastSeq - 1);
    expect(log.tornTail).toEqual({ offset: log.bytes, afterSeq: lastSeq - 1, bytes: fs.statSync(file).size - log.bytes });
  });

  test("the iterator yields the good prefix, then throws on the torn tail", () => {
    const { file, lastSeq } = tornLog(1);
    const seen: number[] = [];
    const err = logErrorOf(() => {
      for (const r of iterateEpisodeLog(file)) seen.push(r.seq);
    });
    expect(seen.length).toBe(lastSeq - 1);
    expect(err.message).toStartWith("torn tail");
  });

  test("repairTornTail cuts exactly the torn bytes and the log reads cleanly again", () => {
    const { file, lastSeq } = tornLog(4);
    const expected = readEpisodeLog(file, { allowTornTail: true });
    const cut = repairTornTail(file);
    expect(cut).toEqual(expected.tornTail!);
    expect(fs.statSync(file).size).toBe(expected.bytes);
    const log = readEpisodeLog(file);
    expect(log.records.length).toBe(lastSeq - 1);
    expect(repairTornTail(file)).toBeNull();
    // And the run can continue from there.
    const w = EpisodeLogWriter.reopen(file);
    expect(w.nextSeq).toBe(lastSeq);
    w.close();
  });

  test("a zero-filled tail (file grown, data never written) is a torn tail", () => {
    const file = fresh();
    writeLog(file, entries(1));
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, new Uint8Array(100));
    const log = readEpisodeLog(file, { allowTornTail: true });
    expect(log.tornTail).toEqual({ offset: size, afterSeq: log.records.length, bytes: 100 });
  });

  test("a log cut inside its header is reported, even with allowTornTail", () => {
    const file = fresh();
    writeLog(file, []);
    fs.truncateSync(file, 12);
    expect(logErrorOf(() => readEpisodeLog(file, { allowTornTail: true })).message).toContain("truncated before its header");
    fs.truncateSync(file, 3);
    expect(logErrorOf(() => readEpisodeLog(file, { allowTornTail: true })).message).toContain("truncated before its header");
  });
});

describe("corruption", () => {
  test("a flipped bit anywhere is a checksum-class error naming the record, never a torn tail", () => {
    const file = fresh("flip");
    writeLog(file, entries(1));
    const full = new Uint8Array(fs.readFileSync(file));
    const offsets = frameOffsets(full);
    const recordAt = (pos: number): number => offsets.findLastIndex((o) => o <= pos);
    const flipped = fresh("flipped");
    fs.mkdirSync(path.dirname(flipped), { recursive: true });
    for (let pos = 0; pos < full.length; pos++) {
      for (const bit of [0x01, 0x80]) {
        const copy = full.slice();
        copy[pos]! ^= bit;
        fs.writeFileSync(flipped, copy);
        // Lazy reads (replay's) must catch exactly what full reads catch.
        const err = logErrorOf(() => readEpisodeLog(flipped, { allowTornTail: true }));
        for (const opts of [{ lazy: true }, { lazy: true, only: "reward" as const }]) {
          expect(logErrorOf(() => readEpisodeLog(flipped, { allowTornTail: true, ...opts })).message).toBe(err.message);
        }
        if (pos < LOG_MAGIC.length) {
          expect(err.message).toContain("is not an episode log");
          continue;
        }
        const index = recordAt(pos);
        expect(err.message).toStartWith(`corrupt record ${index} at byte ${offsets[index]} of ${flipped}: `);
        expect(err.recordIndex).toBe(index);
        expect(err.offset).toBe(offsets[index]);
        // And repair must refuse to cut anything.
        expect(() => repairTornTail(flipped)).toThrow(LogError);
        expect(fs.statSync(flipped).size).toBe(full.length);
      }
    }
  });

  test("a payload byte flip reads as a checksum mismatch", () => {
    const file = fresh();
    writeLog(file, entries(3));
    const bytes = new Uint8Array(fs.readFileSync(file));
    const offsets = frameOffsets(bytes);
    const target = 17;
    bytes[offsets[target]! + 10]! ^= 0x20;
    fs.writeFileSync(file, bytes);
    const err = logErrorOf(() => readEpisodeLog(file));
    expect(err.message).toBe(`corrupt record ${target} at byte ${offsets[target]} of ${file}: checksum mismatch`);
  });

  test("an absurd frame length is reported as such", () => {
    const file = fresh();
    writeLog(file, entries(1));
    const bytes = new Uint8Array(fs.readFileSync(file));
    const at = frameOffsets(bytes)[2]!;
    new DataView(bytes.buffer).setUint32(at, MAX_FRAME_BYTES + 1, true);
    fs.writeFileSync(file, bytes);
    expect(logErrorOf(() => readEpisodeLog(file)).message).toBe(
      `corrupt record 2 at byte ${at} of ${file}: frame length ${MAX_FRAME_BYTES + 1} is absurd (limit ${MAX_FRAME_BYTES})`,
    );
  });

  test("a reordered record is reported as a seq gap", () => {
    const file = fresh();
    writeLog(file, entries(1));
    const bytes = new Uint8Array(fs.readFileSync(file));
    const o = frameOffsets(bytes);
    // Swap frames 1 and 2: every checksum is still valid, the order is not.
    const swapped = new Uint8Array(bytes.length);
    swapped.set(bytes.subarray(0, o[1]!));
    swapped.set(bytes.subarray(o[2]!, o[3]!), o[1]!);
    swapped.set(bytes.subarray(o[1]!, o[2]!), o[1]! + (o[3]! - o[2]!));
    swapped.set(bytes.subarray(o[3]!), o[3]!);
    fs.writeFileSync(file, swapped);
    const err = logErrorOf(() => readEpisodeLog(file));
    expect(err.message).toBe(`corrupt record 1 at byte ${o[1]} of ${file}: expected seq 1, found 2`);
  });

  test("a file that is not a log is named as such", () => {
    const file = fresh();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"not": "a log"}');
    expect(logErrorOf(() => readEpisodeLog(file)).message).toBe(`${file} is not an episode log (bad magic; expected "SPZLOG01")`);
  });

  test("a missing file is named", () => {
    const file = path.join(dir, "nope", "missing.log");
    expect(logErrorOf(() => readEpisodeLog(file)).message).toBe(`episode log not found: ${file}`);
    expect(logErrorOf(() => readEpisodeLog(dir)).message).toBe(`${dir} is a directory, not an episode log`);
  });

  test("LogError carries exit code 2", () => {
    expect(new LogError("x").exitCode).toBe(2);
  });

  test("record types cover the protocol", () => {
    const file = fresh();
    writeLog(file, entries(1));
    const types = new Set<MessageType>(readEpisodeLog(file).records.map((r) => r.type));
    expect([...types].sort() as string[]).toEqual(Object.keys(STAGE_RANK).sort());
  });
});

describe("lazy reading (replay)", () => {
  test("records are the full read's, with each message's recorded bytes", () => {
    const file = fresh("lazy");
    writeLog(file, entries(3));
    const full = readEpisodeLog(file);
    const lazy = readEpisodeLog(file, { lazy: true });
    expect(lazy.records).toHaveLength(full.records.length);
    expect(lazy.bytes).toBe(full.bytes);
    lazy.records.forEach((r, i) => {
      const f = full.records[i]!;
      expect([r.seq, r.step, r.from, r.to, r.type, r.id]).toEqual([f.seq, f.step, f.from, f.to, f.type, f.id]);
      expect(Buffer.from(r.msgBytes!).equals(Buffer.from(encodeValue(f.msg)))).toBe(true);
      expect(r.msg).toEqual(f.msg);
    });
  });

  test("only keeps the records from or to one actor, with their recorded seq", () => {
    const file = fresh("only");
    writeLog(file, entries(2));
    const full = readEpisodeLog(file);
    for (const actor of ["generator", "predictor", "reward", "learner"] as const) {
      const mine = readEpisodeLog(file, { lazy: true, only: actor }).records;
      const want = full.records.filter((r) => r.from === actor || r.to === actor);
      expect(want.length).toBeGreaterThan(0);
      expect(mine.map((r) => r.seq)).toEqual(want.map((r) => r.seq));
    }
  });

  test("a checksummed record whose message is malformed fails when its message is read, with the full read's error", () => {
    const file = fresh("malformed");
    writeLog(file, entries(1));
    // Append a frame with a valid checksum and routing but a message the protocol rejects.
    const last = readEpisodeLog(file).records.at(-1)!;
    const body = encodeValue({ seq: last.seq + 1, step: 0, from: "generator", to: "reward", type: "answers", id: "bad", msg: { type: "answers", step: "zero" } });
    const frame = new Uint8Array(body.length + 8);
    const view = new DataView(frame.buffer);
    view.setUint32(0, body.length, true);
    frame.set(body, 4);
    view.setUint32(4 + body.length, Bun.hash.crc32(body) >>> 0, true);
    fs.appendFileSync(file, frame);
    const eager = logErrorOf(() => readEpisodeLog(file));
    expect(eager.message).toContain(`corrupt record ${last.seq + 1}`);
    const lazy = readEpisodeLog(file, { lazy: true });
    const bad = lazy.records.at(-1)!;
    expect(bad.id).toBe("bad");
    expect(logErrorOf(() => bad.msg).message).toBe(eager.message);
  });
});
