// One direction of a hub <-> actor link over JetStream. Frames are published to the link's own
// subject of the run's stream, so what is sent while a peer is disconnected (or not started yet)
// waits in the stream, and the peer's ordered consumer reads it once it is there.
// Each NATS message carries [u32 sequence][u8 last-part flag] before its bytes: frames over the
// chunk size travel in parts, and a publish that failed (connection lost before its PubAck) is sent
// again with everything after it; the receiver drops what it already has and puts the rest in order.

import type { JetStreamClient } from "@nats-io/jetstream";
import { decodeValue, encodeValue } from "../../protocol/value-codec.ts";
import type { ControlFrame, Frame } from "../port.ts";

/** Under NATS' default max_payload (1 MiB), with room for the protocol's own headers. */
export const CHUNK_BYTES = 512 * 1024;
const HEAD = 5;
const IN_FLIGHT = 256;
const RETRY_MS = 250;


export function encodeFrame(frame: Frame): Uint8Array {
  if ("e" in frame) {
    const out = new Uint8Array(frame.e.length + 1);
    out[0] = 0;
    out.set(frame.e, 1);
    return out;
  }
  const body = encodeValue(frame.c);
  const out = new Uint8Array(body.length + 1);
  out[0] = 1;
  out.set(body, 1);
  return out;
}

export function decodeFrame(bytes: Uint8Array): Frame {
  // A copy with a buffer of its own: NATS hands out views of its read buffer (a Node Buffer, whose
  // slice() is a view too), and the hub may transfer an envelope's buffer to a worker.
  if (bytes[0] === 0) return { e: new Uint8Array(bytes.subarray(1)) };
  if (bytes[0] === 1) return { c: decodeValue(bytes.subarray(1)) as ControlFrame };
  throw new Error(`NATS link: a frame of unknown kind ${bytes[0]}`);
}

/** Sends frames in order, exactly once as the receiver sees them, across reconnects. */
export class LinkSender {
  /** Messages from sequence `base` on, not yet acknowledged by the stream. */
  private readonly queue: Uint8Array[] = [];
  private readonly acked = new Set<number>();
  private base = 0;
  private next = 0;
  private inFlight = 0;
  private failed = false;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly subject: string,
  ) {}

  send(frame: Frame): void {
    if (this.closed) return;
    const bytes = encodeFrame(frame);
    for (let off = 0; off === 0 || off < bytes.length; off += CHUNK_BYTES) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + CHUNK_BYTES));
      const msg = new Uint8Array(part.length + HEAD);
      const seq = this.base + this.queue.length;
      new DataView(msg.buffer).setUint32(0, seq);
      msg[4] = off + CHUNK_BYTES >= bytes.length ? 1 : 0;
      msg.set(part, HEAD);
      this.queue.push(msg);
    }
    this.pump();
  }

  /** Resolves once every frame sent so far is stored in the stream (or the sender was closed). */
  drained(): Promise<void> {
    if (this.closed || this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const f of this.idle.splice(0)) f();
  }

  private pump(): void {
    while (!this.closed && !this.failed && this.inFlight < IN_FLIGHT && this.next < this.base + this.queue.length) {
      const seq = this.next++;
      const msg = this.queue[seq - this.base]!;
      this.inFlight++;
      this.js.publish(this.subject, msg).then(
        () => this.settle(seq, true),
        () => this.settle(seq, false),
      );
    }
  }

  private settle(seq: number, ok: boolean): void {
    this.inFlight--;
    if (ok && seq >= this.base) this.acked.add(seq);
    while (this.acked.delete(this.base)) {
      this.queue.shift();
      this.base++;
    }
    if (!ok) this.failed = true;
    if (this.queue.length === 0) for (const f of this.idle.splice(0)) f();
    if (this.failed && this.inFlight === 0) {
      // Everything from the first unacknowledged message goes again, in order, once NATS is back.
      setTimeout(() => {
        this.failed = false;
        this.next = this.base;
        this.acked.clear();
        this.pump();
      }, RETRY_MS);
      return;
    }
    this.pump();
  }
}

/** Reads one link subject from the start, in sequence order, and hands over whole frames. */
export class LinkReceiver {
  private expected = 0;
  private readonly early = new Map<number, Uint8Array>();
  private parts: Uint8Array[] = [];
  private stopped = false;
  private messages: { close(): Promise<void | Error> } | null = null;

  private constructor(private readonly onFrame: (frame: Frame) => void) {}

  static async open(js: JetStreamClient, stream: string, subject: string, onFrame: (frame: Frame) => void, onError: (e: unknown) => void): Promise<LinkReceiver> {
    const r = new LinkReceiver(onFrame);
    const consumer = await js.consumers.get(stream, { filter_subjects: subject });
    // A pull outlives a lost connection only until it expires: 4 s (not 30) bounds the stall after
    // a reconnect before the ordered consumer asks again from where it was.
    const messages = await consumer.consume({ max_messages: 512, expires: 4_000 });
    r.messages = messages;
    void (async () => {
      try {
        for await (const m of messages) {
          if (r.stopped) break;
          r.take(m.data);
        }
      } catch (e) {
        if (!r.stopped) onError(e);
      }
    })();
    return r;
  }

  close(): void {
    this.stopped = true;
    void this.messages?.close().catch(() => {});
  }

  private take(msg: Uint8Array): void {
    const seq = new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(0);
    if (seq < this.expected) return;
    if (seq > this.expected) {
      this.early.set(seq, msg);
      return;
    }
    for (let m: Uint8Array | undefined = msg; m !== undefined && !this.stopped; m = this.early.get(this.expected)) {
      this.early.delete(this.expected);
      this.expected++;
      this.parts.push(m.subarray(HEAD));
      if (m[4] !== 1) continue;
      const whole = this.parts.length === 1 ? this.parts[0]! : concat(this.parts);
      this.parts = [];
      this.onFrame(decodeFrame(whole));
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
