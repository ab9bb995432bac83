// The append-only episode log: every message of a run, in canonical order, so that a run can be
// replayed and compared bit-exactly.
//
// On-disk format (all integers little-endian):
//   file    = magic frame*
//   magic   = the 8 ASCII bytes "SPZLOG01"
//   frame   = u32 payloadLength, payload, u32 crc32(payload)        (CRC-32/ISO-HDLC, as zlib)
//   payload = msgpack map {seq, step, from, to, type, id, msg}       (keys in this order)
// Frame 0 (seq 0) is the header: type "run.header", step 0, from/to/id "run",
// msg = {format: 1, protocol: PROTOCOL_VERSION, command, config}. Records 1.. are protocol
// messages with consecutive seq numbers. Nothing time-dependent is written, so two runs with the
// same seed produce byte-identical files.
//
// A crash can leave a partial final frame (a torn tail). Readers reject it unless asked to accept
// it, and repairTornTail() cuts it off; corruption anywhere else is always an error.

import * as fs from "node:fs";
import * as path from "node:path";
import { ACTOR_IDS, type ActorId, type Message, type MessageType, PROTOCOL_VERSION, isActorId } from "./messages.ts";
import { STAGE_RANK } from "./message-table.ts";
import { CodecError, decodeValue, describe, encodeValue, validateMessage } from "./codec.ts";
import { mapFields, readString, readUint, type Field } from "./scan.ts";

export const LOG_MAGIC = "SPZLOG01";
export const LOG_FORMAT = 1 as const;
/** Frames larger than this are treated as corruption, not data (a sample response is a few MB). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;
const MAGIC_BYTES = new TextEncoder().encode(LOG_MAGIC);
const HEADER_TYPE = "run.header";

export interface LogHeader {
  format: typeof LOG_FORMAT;
  protocol: number;
  /** The command that wrote the log, e.g. "simulate". */
  command: string;
  /** The run's resolved configuration (whatever the command needs to reproduce the run). */
  config: unknown;
  /** The recording machine's CPU class (src/runtime/cpu-class.ts): a model's learner replays bit for bit on the same class. Absent in older logs. */
  cpu?: string;
}

export interface LogRecord {
  seq: number;
  step: number;
  from: ActorId;
  to: ActorId;
  type: MessageType;
  id: string;
  msg: Message;
  /** The message's bytes as recorded (lazy reads only); equal to encodeValue(msg). */
  msgBytes?: Uint8Array;
}

/** What append() takes; seq and type are filled in by the writer. */
export interface LogEntry {
  step: number;
  from: ActorId;
  to: ActorId;
  id: string;
  msg: Message;
}

export interface TornTail {
  /** Byte offset where the partial frame starts (the file's good length). */
  offset: number;
  /** Seq of the last complete record. */
  afterSeq: number;
  /** Trailing bytes that do not form a complete frame. */
  bytes: number;
}

export interface EpisodeLog {
  header: LogHeader;
  /** Records after the header (seq 1..). */
  records: LogRecord[];
  /** Good length of the file in bytes (up to the torn tail, if any). */
  bytes: number;
  tornTail?: TornTail;
}

export interface ReadOptions {
  /** Return the good prefix of a log whose final frame is incomplete instead of throwing. */
  allowTornTail?: boolean;
  /**
   * Check every frame's checksum and routing fields, but decode and validate each message only when
   * its `msg` is first read; `msgBytes` holds it as recorded. Replay reads logs this way.
   */
  lazy?: boolean;
  /** With lazy: keep only the records from or to this actor (their seq numbers stay as recorded). */
  only?: ActorId;
}

/** An unreadable, corrupt or torn episode log, or a refused write. Exit code 2 for CLIs. */
export class LogError extends Error {
  override name = "LogError";
  readonly exitCode = 2;
  constructor(
    message: string,
    /** Byte offset of the problem, when there is one. */
    readonly offset?: number,
    /** Index (= expected seq) of the record at fault, when there is one. */
    readonly recordIndex?: number,
  ) {
    super(message);
  }
}

const crc32 = (bytes: Uint8Array): number => Bun.hash.crc32(bytes) >>> 0;

function encodeFrame(payload: Record<string, unknown>): Uint8Array {
  const body = encodeValue(payload);
  const frame = new Uint8Array(body.length + 8);
  const view = new DataView(frame.buffer);
  view.setUint32(0, body.length, true);
  frame.set(body, 4);
  view.setUint32(4 + body.length, crc32(body), true);
  return frame;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  // One write in practice; the loop only matters if the kernel accepts a partial write.
  let at = 0;
  while (at < bytes.length) at += fs.writeSync(fd, bytes, at, bytes.length - at);
}

// ---------------------------------------------------------------------------------------------
// Writer

export class EpisodeLogWriter {
  private fd: number | null;
  private seq: number;
  private size: number;

  private constructor(
    readonly path: string,
    readonly header: LogHeader,
    fd: number,
    nextSeq: number,
    size: number,
  ) {
    this.fd = fd;
    this.seq = nextSeq;
    this.size = size;
  }

  /** Creates a new log and writes its header. Never overwrites: a recording is evidence. */
  static create(file: string, header: { command: string; config: unknown; cpu?: string }): EpisodeLogWriter {
    const full: LogHeader = {
      format: LOG_FORMAT,
      protocol: PROTOCOL_VERSION,
      command: header.command,
      config: sortedKeys(header.config),
      ...(header.cpu !== undefined ? { cpu: header.cpu } : {}),
    };
    let fd: number;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fd = fs.openSync(file, "wx");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw new LogError(`log already exists: ${file} (choose another --record path)`);
      throw new LogError(`cannot create log ${file}: ${(e as Error).message}`);
    }
    const frame = encodeFrame({ seq: 0, step: 0, from: "run", to: "run", type: HEADER_TYPE, id: "run", msg: full });
    const bytes = concat([MAGIC_BYTES, frame]);
    try {
      writeAll(fd, bytes);
    } catch (e) {
      fs.closeSync(fd);
      throw new LogError(`cannot write log ${file}: ${(e as Error).message}`);
    }
    return new EpisodeLogWriter(file, full, fd, 1, bytes.length);
  }

  /**
   * Reopens a complete log to append more records (resuming a run). A torn tail must be cut first
   * with repairTornTail(); anything corrupt is refused.
   */
  static reopen(file: string): EpisodeLogWriter {
    const log = readEpisodeLog(file);
    const last = log.records.at(-1);
    const fd = fs.openSync(file, "a");
    return new EpisodeLogWriter(file, log.header, fd, (last?.seq ?? 0) + 1, log.bytes);
  }

  /** Seq number the next appended record gets. */
  get nextSeq(): number {
    return this.seq;
  }

  /** Bytes written so far (file length). */
  get bytes(): number {
    return this.size;
  }

  /**
   * Appends records with consecutive seq numbers in one write. Messages are validated first, so
   * nothing that a reader would reject can enter the log; on a validation error nothing is written.
   */
  append(entries: readonly LogEntry[]): void {
    if (this.fd === null) throw new LogError(`log ${this.path} is closed`);
    const frames: Uint8Array[] = [];
    let seq = this.seq;
    for (const e of entries) {
      checkEntry(e, seq);
      frames.push(encodeFrame({ seq, step: e.step, from: e.from, to: e.to, type: e.msg.type, id: e.id, msg: e.msg }));
      seq++;
    }
    if (frames.length === 0) return;
    const bytes = concat(frames);
    writeAll(this.fd, bytes);
    this.seq = seq;
    this.size += bytes.length;
  }

  /** Forces written records to disk. */
  flush(): void {
    if (this.fd !== null) fs.fsyncSync(this.fd);
  }

  /** Flushes and closes; safe to call twice. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Same config, same bytes: key order must not depend on the order flags were given in. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v)) return v;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortedKeys((v as Record<string, unknown>)[k]);
  return out;
}

function checkEntry(e: LogEntry, seq: number): void {
  const where = `log record ${seq}`;
  if (!Number.isSafeInteger(e.step) || e.step < 0) throw new LogError(`${where}: step must be a non-negative integer, got ${describe(e.step)}`);
  if (!isActorId(e.from)) throw new LogError(`${where}: from must be an actor id, got ${describe(e.from)}`);
  if (!isActorId(e.to)) throw new LogError(`${where}: to must be an actor id, got ${describe(e.to)}`);
  if (typeof e.id !== "string") throw new LogError(`${where}: id must be a string, got ${describe(e.id)}`);
  try {
    validateMessage(e.msg);
  } catch (err) {
    if (err instanceof CodecError) throw new LogError(`${where}: ${err.message}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Reader

/** Random access to the file's bytes; the whole-file and streaming readers share the parser. */
interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/**
 * Reads through a window of a few MB, so a log of many small frames costs few system calls.
 * A refill allocates a new window: views returned earlier stay valid.
 */
class FileSource implements ByteSource {
  readonly size: number;
  private window: Uint8Array = new Uint8Array(0);
  private windowAt = 0;
  constructor(
    private readonly fd: number,
    private readonly windowBytes = 4 << 20,
  ) {
    this.size = fs.fstatSync(fd).size;
  }
  read(offset: number, length: number): Uint8Array {
    const want = Math.max(0, Math.min(length, this.size - offset));
    if (offset >= this.windowAt && offset + want <= this.windowAt + this.window.length) {
      return this.window.subarray(offset - this.windowAt, offset - this.windowAt + want);
    }
    if (want > this.windowBytes) return this.readDirect(offset, want);
    this.window = this.readDirect(offset, Math.min(this.windowBytes, this.size - offset));
    this.windowAt = offset;
    return this.window.subarray(0, Math.min(want, this.window.length));
  }
  private readDirect(offset: number, length: number): Uint8Array {
    // A Buffer, so that views of it are Buffers too (lazy records read strings from them).
    const out = Buffer.allocUnsafe(length);
    let at = 0;
    while (at < out.length) {
      const n = fs.readSync(this.fd, out, at, out.length - at, offset + at);
      if (n === 0) break;
      at += n;
    }
    return at === out.length ? out : out.subarray(0, at);
  }
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

function openFd(file: string): number {
  try {
    const fd = fs.openSync(file, "r");
    if (fs.fstatSync(fd).isDirectory()) {
      fs.closeSync(fd);
      throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    }
    return fd;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new LogError(`episode log not found: ${file}`);
    if (code === "EISDIR") throw new LogError(`${file} is a directory, not an episode log`);
    throw new LogError(`cannot read episode log ${file}: ${(e as Error).message}`);
  }
}

/** Does the payload starting at `at` look like a valid, checksummed frame? Used to tell corruption from a torn tail. */
function validFrameAt(src: ByteSource, at: number): boolean {
  if (at + 8 > src.size) return false;
  const len = u32(src.read(at, 4), 0);
  if (len === 0 || len > MAX_FRAME_BYTES || at + 8 + len > src.size) return false;
  const rest = src.read(at + 4, len + 4);
  return crc32(rest.subarray(0, len)) === u32(rest, len);
}

// Every payload starts with the same bytes (a 7-entry map header and the key "seq"); derived from
// the encoder rather than hard-coded because msgpackr picks the map header width itself.
const PAYLOAD_PREFIX = encodeValue({ seq: 0, step: 0, from: "", to: "", type: "", id: "", msg: 0 }).slice(0, 7);

/**
 * A frame that runs past the end of the file is a torn tail only if nothing valid follows it. A
 * corrupted length field in the middle (or in the last frame) looks the same at first sight, but
 * then either a valid frame starts later, or the remaining bytes are themselves one whole frame.
 */
function looksCorruptNotTorn(src: ByteSource, frameAt: number): boolean {
  const tail = src.read(frameAt, src.size - frameAt);
  if (tail.length >= 9 && crc32(tail.subarray(4, tail.length - 4)) === u32(tail, tail.length - 4)) return true;
  let from = 1;
  for (;;) {
    const hit = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).indexOf(PAYLOAD_PREFIX, from);
    if (hit < 0) return false;
    if (hit >= 4 && validFrameAt(src, frameAt + hit - 4)) return true;
    from = hit + 1;
  }
}

function isAllZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** A frame's payload before validation; `type` is a plain string so unknown (future) messages pass through. */
export interface RawRecord {
  seq: number;
  step: number;
  from: string;
  to: string;
  type: string;
  id: string;
  msg: unknown;
}

type FrameResult =
  | { kind: "record"; record: RawRecord; next: number }
  | { kind: "lazy"; record: LogRecord | null; next: number }
  | { kind: "end" }
  | { kind: "torn"; torn: TornTail };

/** Parses the frame at `at`, expected to hold record `index`. Throws LogError on corruption. */
function readFrame(src: ByteSource, file: string, at: number, index: number, opts: ReadOptions = {}): FrameResult {
  if (at === src.size) return { kind: "end" };
  const afterSeq = index - 1;
  const torn = (): FrameResult => ({ kind: "torn", torn: { offset: at, afterSeq, bytes: src.size - at } });
  const corrupt: (what: string) => never = (what) => {
    throw new LogError(`corrupt record ${index} at byte ${at} of ${file}: ${what}`, at, index);
  };
  if (src.size - at < 4) return torn();
  const len = u32(src.read(at, 4), 0);
  if (len > MAX_FRAME_BYTES) corrupt(`frame length ${len} is absurd (limit ${MAX_FRAME_BYTES})`);
  if (len === 0) {
    // A crash after the file grew but before its data reached the disk leaves zeros.
    if (isAllZero(src.read(at, src.size - at))) return torn();
    corrupt("frame length is 0");
  }
  if (at + 8 + len > src.size) {
    if (looksCorruptNotTorn(src, at)) corrupt(`frame length ${len} runs past the end of the file but intact data follows`);
    return torn();
  }
  const body = src.read(at + 4, len + 4);
  const payload = body.subarray(0, len);
  if (crc32(payload) !== u32(body, len)) corrupt("checksum mismatch");
  const quick = opts.lazy ? lazyRecord(payload, file, at, index, opts.only) : undefined;
  if (quick !== undefined) return { kind: "lazy", record: quick, next: at + 8 + len };
  let value: unknown;
  try {
    value = decodeValue(payload);
  } catch (e) {
    corrupt(`undecodable payload (${(e as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) corrupt(`payload must be a map, got ${describe(value)}`);
  const r = value as Record<string, unknown>;
  if (r.seq !== index) corrupt(`expected seq ${index}, found ${describe(r.seq)}`);
  if (!Number.isSafeInteger(r.step) || (r.step as number) < 0) corrupt(`step must be a non-negative integer, got ${describe(r.step)}`);
  for (const k of ["from", "to", "type", "id"] as const) {
    if (typeof r[k] !== "string") corrupt(`${k} must be a string, got ${describe(r[k])}`);
  }
  return { kind: "record", record: r as unknown as RawRecord, next: at + 8 + len };
}

/**
 * A record whose routing fields are read from the payload's top level and whose message is decoded
 * and checked on first use. Null: a record `only` leaves out. Undefined: the payload is not in the
 * writer's shape, so the caller decodes it fully and reports what is wrong.
 */
function lazyRecord(bytes: Uint8Array, file: string, at: number, index: number, only?: ActorId): LogRecord | null | undefined {
  const payload = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The message is the writer's last field: it is not walked, its decoder checks it when read.
  const f = mapFields(payload, 0, payload.length, true);
  const [seqAt, stepAt, fromAt, toAt, typeAt, idAt, msgAt] = ["seq", "step", "from", "to", "type", "id", "msg"].map((k) => f?.get(k));
  if (!f || f.size !== 7 || !seqAt || !stepAt || !fromAt || !toAt || !typeAt || !idAt || !msgAt || msgAt.end !== payload.length) return undefined;
  if (only !== undefined && readUint(payload, seqAt) === index && !isString(payload, fromAt, only) && !isString(payload, toAt, only)) return null;
  const step = readUint(payload, stepAt);
  const [from, to, type, id] = [known(payload, fromAt, ACTOR_IDS), known(payload, toAt, ACTOR_IDS), known(payload, typeAt, RECORD_TYPES), readString(payload, idAt)];
  if (readUint(payload, seqAt) !== index || step === null || !isActorId(from) || !isActorId(to) || type === null || id === null) return undefined;
  // A view: the reader never reuses a buffer it handed out.
  return new LazyRecord(index, step, from, to, type as MessageType, id, payload.subarray(msgAt.start, msgAt.end), file, at);
}

const RECORD_TYPES: readonly string[] = Object.keys(STAGE_RANK);

/** The string at `f`, matched against a few expected ones as bytes (no decoding); decoded when none matches. */
function known(b: Uint8Array, f: Field, expected: readonly string[]): string | null {
  for (const s of expected) if (isString(b, f, s)) return s;
  return readString(b, f);
}

const encodedIds = new Map<string, Uint8Array>();

/** Is the value at `f` the string `s`? Compared as bytes, without decoding. */
function isString(b: Uint8Array, f: Field, s: string): boolean {
  let want = encodedIds.get(s);
  if (!want) encodedIds.set(s, (want = encodeValue(s)));
  if (f.end - f.start !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (b[f.start + i] !== want[i]) return false;
  return true;
}

class LazyRecord implements LogRecord {
  private decoded?: Message;
  constructor(
    readonly seq: number,
    readonly step: number,
    readonly from: ActorId,
    readonly to: ActorId,
    readonly type: MessageType,
    readonly id: string,
    readonly msgBytes: Uint8Array,
    private readonly file: string,
    private readonly at: number,
  ) {}

  get msg(): Message {
    if (this.decoded) return this.decoded;
    const raw: RawRecord = { seq: this.seq, step: this.step, from: this.from, to: this.to, type: this.type, id: this.id, msg: undefined };
    try {
      raw.msg = decodeValue(this.msgBytes);
    } catch (e) {
      throw new LogError(`corrupt record ${this.seq} at byte ${this.at} of ${this.file}: ${(e as Error).message}`, this.at, this.seq);
    }
    this.decoded = checkRecord(raw, this.file, this.at).msg;
    return this.decoded;
  }
}

function checkHeader(raw: RawRecord, file: string, at: number): LogHeader {
  const bad: (what: string) => never = (what) => {
    throw new LogError(`corrupt record 0 at byte ${at} of ${file}: ${what}`, at, 0);
  };
  if (raw.type !== HEADER_TYPE) bad(`expected the run header, found type ${describe(raw.type)}`);
  const h = raw.msg as Record<string, unknown> | null;
  if (typeof h !== "object" || h === null) bad(`header must be a map, got ${describe(h)}`);
  if (h.format !== LOG_FORMAT) {
    throw new LogError(`${file} has log format ${describe(h.format)}; this build reads format ${LOG_FORMAT}`, at, 0);
  }
  if (h.protocol !== PROTOCOL_VERSION) {
    throw new LogError(
      `${file} was recorded with protocol version ${describe(h.protocol)}; this build speaks version ${PROTOCOL_VERSION}`,
      at,
      0,
    );
  }
  if (typeof h.command !== "string") bad(`header command must be a string, got ${describe(h.command)}`);
  if (h.cpu !== undefined && typeof h.cpu !== "string") bad(`header cpu must be a string, got ${describe(h.cpu)}`);
  return h as unknown as LogHeader;
}

function checkRecord(raw: RawRecord, file: string, at: number): LogRecord {
  const bad: (what: string) => never = (what) => {
    throw new LogError(`corrupt record ${raw.seq} at byte ${at} of ${file}: ${what}`, at, raw.seq);
  };
  if (!isActorId(raw.from)) bad(`from must be an actor id, got ${describe(raw.from)}`);
  if (!isActorId(raw.to)) bad(`to must be an actor id, got ${describe(raw.to)}`);
  let msg: Message;
  try {
    msg = validateMessage(raw.msg);
  } catch (e) {
    if (e instanceof CodecError) bad(e.message);
    throw e;
  }
  if (msg.type !== raw.type) bad(`record type ${describe(raw.type)} does not match msg.type ${describe(msg.type)}`);
  return raw as unknown as LogRecord;
}

function tornError(file: string, t: TornTail): LogError {
  return new LogError(
    `torn tail at byte ${t.offset} after record ${t.afterSeq} (${t.bytes} trailing bytes) in ${file}: the run was interrupted while writing`,
    t.offset,
    t.afterSeq + 1,
  );
}

/** Streaming reader: the header is read on open, records one frame at a time. */
export class EpisodeLogReader {
  readonly header: LogHeader;
  /** Set once iteration reached a torn tail (only with allowTornTail). */
  tornTail?: TornTail;
  /** Good length so far: the end of the last record read. */
  bytes: number;
  private fd: number | null;
  private readonly src: ByteSource;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly opts: ReadOptions,
  ) {
    this.fd = fd;
    this.src = new FileSource(fd);
    try {
      const magic = this.src.read(0, MAGIC_BYTES.length);
      const isMagic = magic.length === MAGIC_BYTES.length && magic.every((b, i) => b === MAGIC_BYTES[i]);
      if (!isMagic) {
        const prefix = magic.length < MAGIC_BYTES.length && magic.every((b, i) => b === MAGIC_BYTES[i]);
        if (prefix) throw new LogError(`${path} is truncated before its header: the run was interrupted while creating it`, 0, 0);
        throw new LogError(`${path} is not an episode log (bad magic; expected "${LOG_MAGIC}")`, 0);
      }
      const first = readFrame(this.src, path, MAGIC_BYTES.length, 0);
      if (first.kind !== "record") {
        throw new LogError(`${path} is truncated before its header: the run was interrupted while creating it`, MAGIC_BYTES.length, 0);
      }
      this.header = checkHeader(first.record, path, MAGIC_BYTES.length);
      this.bytes = first.next;
    } catch (e) {
      this.close();
      throw e;
    }
  }

  static open(file: string, opts: ReadOptions = {}): EpisodeLogReader {
    return new EpisodeLogReader(file, openFd(file), opts);
  }

  /** Yields records 1.. in order; throws LogError on corruption, and on a torn tail unless allowed. Closes the file at the end. */
  *records(): Generator<LogRecord, void, undefined> {
    try {
      for (let index = 1; ; index++) {
        const at = this.bytes;
        const r = readFrame(this.src, this.path, at, index, this.opts);
        if (r.kind === "end") return;
        if (r.kind === "torn") {
          if (!this.opts.allowTornTail) throw tornError(this.path, r.torn);
          this.tornTail = r.torn;
          return;
        }
        const rec = r.kind === "lazy" ? r.record : checkRecord(r.record, this.path, at);
        this.bytes = r.next;
        if (rec === null || (this.opts.only && rec.from !== this.opts.only && rec.to !== this.opts.only)) continue;
        yield rec;
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** Iterates a log's records without holding them all in memory. */
export function iterateEpisodeLog(file: string, opts: ReadOptions = {}): Generator<LogRecord, void, undefined> {
  return EpisodeLogReader.open(file, opts).records();
}

/** Reads and fully verifies a log. */
export function readEpisodeLog(file: string, opts: ReadOptions = {}): EpisodeLog {
  const reader = EpisodeLogReader.open(file, opts);
  const records = [...reader.records()];
  const log: EpisodeLog = { header: reader.header, records, bytes: reader.bytes };
  if (reader.tornTail) log.tornTail = reader.tornTail;
  return log;
}

/**
 * Cuts a torn tail off a log so that it can be resumed. Corruption anywhere else is never
 * "repaired" (it throws). Returns what was cut, or null when the log was already complete.
 */
export function repairTornTail(file: string): TornTail | null {
  const log = readEpisodeLog(file, { allowTornTail: true });
  if (!log.tornTail) return null;
  fs.truncateSync(file, log.tornTail.offset);
  return log.tornTail;
}

// ---------------------------------------------------------------------------------------------
// Step coverage: every step once, none skipped

/**
 * Which steps a sequence of step-tagged entries (log records, metrics rows) covers, and how it
 * breaks the rule a run's outputs follow: steps start at the run's first step (0; a resumed run
 * continues the same log and metrics), are consecutive, and each step's entries are written once,
 * together. Checksums cannot see a step that is missing or written twice (each frame is intact);
 * this can.
 */
export interface StepCoverage {
  /** The step the entries must start at. */
  from: number;
  /** Last step present; -1 when there are no entries. */
  last: number;
  /** Distinct steps present. */
  steps: number;
  /** Steps in from..last with no entry. */
  missing: number[];
  /** Steps written more than once: an entry repeated (same id), or the step's entries met again after another step's. */
  duplicated: number[];
  /** Steps first met after a later step (written out of order). */
  unordered: number[];
}

/** Incremental form of `stepCoverage`, for streaming readers. `id` identifies an entry within its step (a message id); omit it for files with one entry per step (metrics rows). */
export class StepCoverageCheck {
  private readonly ids = new Map<number, Set<string> | null>();
  private readonly dup = new Set<number>();
  private readonly unordered = new Set<number>();
  private current = Number.NaN;
  private last = -1;

  constructor(readonly from = 0) {}

  add(step: number, id?: string): void {
    const seen = this.ids.get(step);
    if (seen === undefined && step < this.last) this.unordered.add(step);
    // A step's entries are written together: meeting it again after another step means it was written twice.
    if (seen !== undefined && (step !== this.current || id === undefined)) this.dup.add(step);
    this.current = step;
    if (step > this.last) this.last = step;
    if (id === undefined) {
      this.ids.set(step, null);
      return;
    }
    const set = seen ?? new Set<string>();
    if (set.has(id)) this.dup.add(step);
    set.add(id);
    this.ids.set(step, set);
  }

  result(): StepCoverage {
    const missing: number[] = [];
    for (let s = this.from; s <= this.last; s++) if (!this.ids.has(s)) missing.push(s);
    const sorted = (x: Set<number>) => [...x].sort((a, b) => a - b);
    return { from: this.from, last: this.last, steps: this.ids.size, missing, duplicated: sorted(this.dup), unordered: sorted(this.unordered) };
  }
}

/** Coverage of entries in file order; see `StepCoverage`. */
export function stepCoverage(entries: Iterable<{ step: number; id?: string }>, from = 0): StepCoverage {
  const check = new StepCoverageCheck(from);
  for (const e of entries) check.add(e.step, e.id);
  return check.result();
}

/** "3, 5-7, 9" (the first `max` runs, then "and N more"). */
export function formatSteps(steps: readonly number[], max = 8): string {
  const runs: string[] = [];
  let i = 0;
  while (i < steps.length) {
    let j = i;
    while (j + 1 < steps.length && steps[j + 1] === steps[j]! + 1) j++;
    runs.push(i === j ? `${steps[i]}` : `${steps[i]}-${steps[j]}`);
    i = j + 1;
  }
  const shown = runs.slice(0, max).join(", ");
  return runs.length > max ? `${shown} and ${runs.length - max} more ranges` : shown;
}

/** One line naming the missing and duplicated steps, or null when there are none. */
export function describeStepProblems(c: StepCoverage): string | null {
  const parts: string[] = [];
  const s = (n: number) => (n === 1 ? "step" : "steps");
  if (c.missing.length) parts.push(`${s(c.missing.length)} ${formatSteps(c.missing)} missing`);
  if (c.duplicated.length) parts.push(`${s(c.duplicated.length)} ${formatSteps(c.duplicated)} written twice`);
  if (c.unordered.length) parts.push(`${s(c.unordered.length)} ${formatSteps(c.unordered)} out of order`);
  return parts.length ? parts.join("; ") : null;
}
