// Re-drive one actor from an episode log. The actor runs alone, in this thread; it is fed the
// recorded messages addressed to it, each only once its recorded causes have been re-emitted, and
// everything it sends is compared with the recording, message by message.

import { decodeEnvelope, encodeEnvelope, encodeEnvelopeAround, encodeValue, peekEnvelope } from "../protocol/codec.ts";
import { mapFields, readString } from "../protocol/scan.ts";
import { MESSAGE_FIELDS } from "../protocol/message-table.ts";
import type { EpisodeLog, LogRecord } from "../protocol/log.ts";
import { PROTOCOL_VERSION, type ActorId, type Envelope, type PolicyVersion, type SampleResponse } from "../protocol/messages.ts";
import type { RunConfig } from "./config.ts";
import { diffValues, type DiffLine } from "./diff.ts";
import { serveActor, type ActorFactory } from "./host.ts";
import { inProcessPair } from "./port.ts";

export interface ReplayOptions {
  log: EpisodeLog;
  actor: ActorId;
  factory: ActorFactory;
  /** Config used to rebuild the actor; defaults to the recorded one. */
  config: RunConfig;
  /** Stop at the first divergence. */
  stopAtDivergence: boolean;
  /** Give up when the actor has been silent this long with messages still expected. */
  stallMs?: number;
  onStep?: (s: ReplayStep) => void;
}

export interface ReplayStep {
  step: number;
  compared: number;
  diverged: number;
  digest?: string;
}

export interface Divergence {
  step: number;
  kind: "different" | "unexpected" | "missing";
  id: string;
  type: string;
  recordedSeq?: number;
  diff: DiffLine[];
}

export interface ReplayResult {
  actor: ActorId;
  steps: number;
  fed: number;
  compared: number;
  divergences: Divergence[];
}

export async function replayActor(opts: ReplayOptions): Promise<ReplayResult> {
  const { log, actor } = opts;
  const inbound = log.records.filter((r) => r.to === actor);
  const expected = new Map<string, LogRecord>();
  for (const r of log.records) if (r.from === actor) expected.set(r.id, r);
  // Outbound messages still expected, per step: a step's inbound is fed only once earlier steps are done.
  const outstanding = new Map<number, number>();
  for (const r of expected.values()) outstanding.set(r.step, (outstanding.get(r.step) ?? 0) + 1);
  const openSteps = [...outstanding.keys()].sort((a, b) => a - b);
  let frontier = 0; // index into openSteps of the lowest step with messages still expected
  const emitted = new Set<string>();
  const announced = new Set<number>();
  const divergences: Divergence[] = [];
  const perStep = new Map<number, ReplayStep>();
  let fed = 0;
  let compared = 0;
  // Inbound records by recorded index. Responses (messages answering a `request`) wait only for
  // their request; the rest also for the step frontier, so they are taken from `byStep` as it advances.
  const isResponse = (i: number) => RESPONSE_TYPES.has(inbound[i]!.type);
  const byStep = [...inbound.keys()].filter((i) => !isResponse(i)).sort((a, b) => inbound[a]!.step - inbound[b]!.step || a - b);
  let nextLater = 0;
  let pending: number[] = [];
  const responsesTo = new Map<string, number[]>();
  for (const i of inbound.keys()) {
    if (!isResponse(i)) continue;
    const request = requestOf(inbound[i]!);
    responsesTo.set(request, [...(responsesTo.get(request) ?? []), i]);
  }
  const sent = (id: string) => {
    emitted.add(id);
    const answers = responsesTo.get(id);
    if (answers) pending.push(...answers);
  };

  const [hubSide, actorSide] = inProcessPair();
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let lastHeard = performance.now();
  const poke = () => {
    lastHeard = performance.now();
    const w = wake;
    wake = null;
    w?.();
  };

  const stepDone = (step: number) => {
    const s = perStep.get(step);
    if (s && (outstanding.get(step) ?? 0) === 0) opts.onStep?.(s);
  };
  const stepOf = (step: number) => {
    const s = perStep.get(step) ?? { step, compared: 0, diverged: 0 };
    perStep.set(step, s);
    return s;
  };

  hubSide.onFrame((frame) => {
    if ("c" in frame) {
      if (frame.c.c === "failed") failure = new Error(`${actor} failed during replay: ${frame.c.error}`);
      poke();
      return;
    }
    // Fast path: the message is the recorded one, byte for byte; nothing is decoded.
    const peek = peekEnvelope(frame.e);
    const rec = peek ? expected.get(peek.id) : undefined;
    if (peek && rec && !emitted.has(peek.id) && rec.to === peek.to && bytesEqual(frame.e.subarray(peek.msg.start, peek.msg.end), recordedBytes(rec))) {
      matched(rec, rec.type === "policy.version" ? (rec.msg as PolicyVersion) : undefined);
    } else {
      compareDecoded(decodeEnvelope(frame.e));
    }
    poke();
  });

  const matched = (rec: LogRecord, version?: PolicyVersion) => {
    sent(rec.id);
    const s = stepOf(rec.step);
    compared++;
    s.compared++;
    if (version) {
      announced.add(version.step);
      s.digest = version.digest;
    }
    outstanding.set(rec.step, outstanding.get(rec.step)! - 1);
    stepDone(rec.step);
  };

  const compareDecoded = (env: Envelope) => {
    const rec = emitted.has(env.id) ? undefined : expected.get(env.id);
    if (rec && rec.to === env.to && bytesEqual(encodeValue(env.msg), recordedBytes(rec))) {
      matched(rec, env.msg.type === "policy.version" ? env.msg : undefined);
      return;
    }
    sent(env.id);
    if (env.msg.type === "policy.version") announced.add(env.msg.step);
    const s = stepOf(env.msg.step);
    if (!rec) {
      divergences.push({ step: env.msg.step, kind: "unexpected", id: env.id, type: env.msg.type, diff: [] });
      s.diverged++;
      return;
    }
    compared++;
    s.compared++;
    if (env.msg.type === "policy.version") s.digest = env.msg.digest;
    divergences.push({ step: env.msg.step, kind: "different", id: env.id, type: env.msg.type, recordedSeq: rec.seq, diff: diffValues(rec.msg, env.msg) });
    s.diverged++;
    outstanding.set(rec.step, outstanding.get(rec.step)! - 1);
    stepDone(rec.step);
  };

  serveActor(actor, opts.factory, actorSide, {
    die: (error) => {
      failure = error;
      poke();
    },
  });
  hubSide.post({ c: { c: "start", config: opts.config, actor, incarnation: 0 } });

  // A sample response joins `pending` once its request was sent; the learner is fed a step once it announced it.
  const ready = (r: LogRecord): boolean => RESPONSE_TYPES.has(r.type) || actor !== "learner" || announced.has(r.step);

  // One watchdog for the whole replay: a timer per awaited message would cost more than the wait.
  const stallMs = opts.stallMs ?? 30_000;
  let stalled = false;
  const watchdog = setInterval(() => {
    if (performance.now() - lastHeard < stallMs) return;
    stalled = true;
    poke();
  }, Math.min(stallMs, 250));
  try {
    for (;;) {
      if (failure) throw failure;
      if (opts.stopAtDivergence && divergences.length > 0) break;
      while (frontier < openSteps.length && outstanding.get(openSteps[frontier]!)! <= 0) frontier++;
      // Inbound of every step up to the lowest one still expecting messages may be fed.
      const limit = frontier < openSteps.length ? openSteps[frontier]! : Infinity;
      while (nextLater < byStep.length && inbound[byStep[nextLater]!]!.step <= limit) pending.push(byStep[nextLater++]!);
      pending.sort((a, b) => a - b);
      // Feed every message whose causes have been re-emitted, keeping the recorded order among them.
      const waiting: number[] = [];
      for (const i of pending) {
        const r = inbound[i]!;
        if (!ready(r)) {
          waiting.push(i);
          continue;
        }
        const head = { v: PROTOCOL_VERSION, id: r.id, from: r.from, to: r.to } as const;
        hubSide.post({ e: r.msgBytes ? encodeEnvelopeAround(head, r.msgBytes) : encodeEnvelope({ ...head, msg: r.msg }) });
        fed++;
      }
      pending = waiting;
      const missing = frontier < openSteps.length;
      if (!missing && pending.length === 0 && nextLater === byStep.length) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      if (stalled) {
        const first = [...expected.values()].filter((r) => !emitted.has(r.id)).sort((a, b) => a.seq - b.seq)[0];
        if (first) divergences.push({ step: first.step, kind: "missing", id: first.id, type: first.type, recordedSeq: first.seq, diff: [] });
        break;
      }
    }
  } finally {
    clearInterval(watchdog);
  }
  hubSide.post({ c: { c: "stop" } });
  hubSide.close();
  divergences.sort((a, b) => a.step - b.step || (a.recordedSeq ?? Infinity) - (b.recordedSeq ?? Infinity));
  // The actor may have run a little past the first divergence before we looked; report only it.
  if (opts.stopAtDivergence) divergences.splice(1);
  const steps = new Set(log.records.filter((r) => r.from === actor || r.to === actor).map((r) => r.step)).size;
  return { actor, steps, fed, compared, divergences };
}

/** The recorded message's bytes; a log read eagerly (or edited in memory) is encoded here. */
function recordedBytes(rec: LogRecord): Uint8Array {
  return rec.msgBytes ?? encodeValue(rec.msg);
}

/** Message types that answer a request (they carry its id in `request`). */
const RESPONSE_TYPES = new Set([...MESSAGE_FIELDS].filter(([, fields]) => Object.hasOwn(fields, "request")).map(([type]) => type));

/** The request a recorded sample response answers, read without decoding its completions when possible. */
function requestOf(r: LogRecord): string {
  if (r.msgBytes) {
    const f = mapFields(r.msgBytes, 0, r.msgBytes.length, true)?.get("request");
    const id = f ? readString(r.msgBytes, f) : null;
    if (id !== null) return id;
  }
  return (r.msg as SampleResponse).request;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return buf.equals(a);
}
