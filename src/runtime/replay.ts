// Re-drive one actor from an episode log. The actor runs alone, in this thread; it is fed the
// recorded messages addressed to it, each only once its recorded causes have been re-emitted, and
// everything it sends is compared with the recording, message by message.

import { decodeEnvelope, encodeEnvelope, encodeValue } from "../protocol/codec.ts";
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
  const emitted = new Set<string>();
  const announced = new Set<number>();
  const divergences: Divergence[] = [];
  const perStep = new Map<number, ReplayStep>();
  let fed = 0;
  let compared = 0;
  let pendingIdx = inbound.map((_, i) => i);

  const [hubSide, actorSide] = inProcessPair();
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const stepDone = (step: number) => {
    const s = perStep.get(step);
    if (s && (outstanding.get(step) ?? 0) === 0) opts.onStep?.(s);
  };

  hubSide.onFrame((frame) => {
    if ("c" in frame) {
      if (frame.c.c === "failed") failure = new Error(`${actor} failed during replay: ${frame.c.error}`);
      poke();
      return;
    }
    const env = decodeEnvelope(frame.e);
    emitted.add(env.id);
    if (env.msg.type === "policy.version") announced.add(env.msg.step);
    const rec = expected.get(env.id);
    const step = env.msg.step;
    const s = perStep.get(step) ?? { step, compared: 0, diverged: 0 };
    perStep.set(step, s);
    if (!rec) {
      divergences.push({ step, kind: "unexpected", id: env.id, type: env.msg.type, diff: [] });
      s.diverged++;
    } else {
      compared++;
      s.compared++;
      if (env.msg.type === "policy.version") s.digest = (env.msg as PolicyVersion).digest;
      if (!sameMessage(rec, env)) {
        divergences.push({ step, kind: "different", id: env.id, type: env.msg.type, recordedSeq: rec.seq, diff: diffValues(rec.msg, env.msg) });
        s.diverged++;
      }
      outstanding.set(rec.step, outstanding.get(rec.step)! - 1);
      stepDone(rec.step);
    }
    poke();
  });

  serveActor(actor, opts.factory, actorSide, {
    die: (error) => {
      failure = error;
      poke();
    },
  });
  hubSide.post({ c: { c: "start", config: opts.config, actor, incarnation: 0 } });

  const ready = (r: LogRecord): boolean => {
    if (r.msg.type === "sample.response") return emitted.has((r.msg as SampleResponse).request);
    for (const [step, left] of outstanding) if (step < r.step && left > 0) return false;
    if (actor === "learner" && !announced.has(r.step)) return false;
    return true;
  };

  const stallMs = opts.stallMs ?? 30_000;
  for (;;) {
    if (failure) throw failure;
    if (opts.stopAtDivergence && divergences.length > 0) break;
    // Feed every message whose causes have been re-emitted, keeping the recorded order among them.
    const waiting: number[] = [];
    for (const i of pendingIdx) {
      const r = inbound[i]!;
      if (!ready(r)) {
        waiting.push(i);
        continue;
      }
      const env: Envelope = { v: PROTOCOL_VERSION, id: r.id, from: r.from, to: r.to, msg: r.msg };
      hubSide.post({ e: encodeEnvelope(env) });
      fed++;
    }
    pendingIdx = waiting;
    const missing = [...outstanding.values()].some((n) => n > 0);
    if (!missing && pendingIdx.length === 0) break;
    const heard = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve(false);
      }, stallMs);
      wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    if (!heard) {
      const first = [...expected.values()].filter((r) => !emitted.has(r.id)).sort((a, b) => a.seq - b.seq)[0];
      if (first) divergences.push({ step: first.step, kind: "missing", id: first.id, type: first.type, recordedSeq: first.seq, diff: [] });
      break;
    }
  }
  hubSide.post({ c: { c: "stop" } });
  hubSide.close();
  divergences.sort((a, b) => a.step - b.step || (a.recordedSeq ?? Infinity) - (b.recordedSeq ?? Infinity));
  // The actor may have run a little past the first divergence before we looked; report only it.
  if (opts.stopAtDivergence) divergences.splice(1);
  const steps = new Set(log.records.filter((r) => r.from === actor || r.to === actor).map((r) => r.step)).size;
  return { actor, steps, fed, compared, divergences };
}

function sameMessage(rec: LogRecord, env: Envelope): boolean {
  if (rec.to !== env.to) return false;
  const a = encodeValue(rec.msg);
  const b = encodeValue(env.msg);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
