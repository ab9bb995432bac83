// The hub runs on the main thread: it routes envelopes between actor hosts, drops duplicates,
// writes the episode log in canonical order, and supervises the hosts. It never interprets
// messages beyond their routing fields and the learner's policy versions.

import { decodeEnvelope, encodeEnvelope } from "../protocol/codec.ts";
import { ACTOR_IDS, STAGE_RANK, type ActorId, type Envelope, type PolicyVersion, type StepStats } from "../protocol/messages.ts";
import type { RunConfig, TransportKind } from "./config.ts";
import { serveActor, type ActorFactory, type LearnerTiming } from "./host.ts";
import { inProcessPair, workerPort, type ControlFrame, type Frame, type Port } from "./port.ts";
import { WireClock } from "./wire-clock.ts";

export interface ActorModule {
  factory: ActorFactory;
  /** Module that calls serveWorker() for this actor. */
  workerUrl: URL;
}

export interface HubOptions {
  config: RunConfig;
  transport: TransportKind;
  actors: Record<ActorId, ActorModule>;
  /** Receives each completed step's envelopes, in canonical order. */
  record?: (envelopes: Envelope[]) => void;
  onVersion?: (v: PolicyVersion) => void;
  onTiming?: (t: LearnerTiming) => void;
  /** Every actor checkpoint (the learner's after each update), e.g. to write some of them to disk. */
  onCheckpoint?: (actor: ActorId, step: number, state: Uint8Array) => void;
  /** Actor states to start from (resume): the learner's, and any other stateful actor's. */
  actorStates?: Partial<Record<ActorId, Uint8Array>>;
  /** End the run once this step begins (an interruption that can be resumed). */
  stopAtStep?: number;
  /** Restarts allowed per actor before the run fails. */
  maxRestarts?: number;
}

export interface RunResult {
  steps: number;
  finalDigest: string;
  stats: StepStats[];
  messages: number;
  duplicatesDropped: number;
  restarts: Record<ActorId, number>;
  wallMs: number;
  /** Main-thread time spent decoding and posting, in ms. */
  hubWireMs: number;
  /** Each host's time spent encoding, decoding and posting, in ms (as reported when it stopped). */
  actorWireMs: Partial<Record<ActorId, number>>;
}

interface Connection {
  port: Port;
  alive: boolean;
}

export class RunFailed extends Error {}

export function canonicalOrder(a: Envelope, b: Envelope): number {
  return a.msg.step - b.msg.step || STAGE_RANK[a.msg.type] - STAGE_RANK[b.msg.type] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class Hub {
  private readonly conns = new Map<ActorId, Connection>();
  private readonly inbox = new Map<ActorId, Envelope[]>();
  private readonly seen = new Map<number, Set<string>>();
  private pending: Envelope[] = [];
  /** Latest checkpoint of each actor that keeps state across steps. */
  private readonly snapshots = new Map<ActorId, Uint8Array>();
  private readonly restarts = Object.fromEntries(ACTOR_IDS.map((a) => [a, 0])) as Record<ActorId, number>;
  private readonly stats: StepStats[] = [];
  private messages = 0;
  private duplicates = 0;
  private finalDigest = "";
  private readonly clock = new WireClock();
  private settle!: { resolve(r: RunResult): void; reject(e: unknown): void };
  private startedAt = 0;
  private finished = false;
  private announced = false;
  private readonly stopped = new Map<ActorId, (wireMs: number) => void>();

  constructor(private readonly opts: HubOptions) {
    for (const [id, state] of Object.entries(opts.actorStates ?? {})) if (state) this.snapshots.set(id as ActorId, state);
  }

  run(): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.startedAt = performance.now();
      for (const id of ACTOR_IDS) {
        this.inbox.set(id, []);
        this.connect(id);
      }
    });
  }

  private connect(id: ActorId): void {
    const conn = { alive: true } as Connection;
    const port = (conn.port = this.open(id, conn));
    this.conns.set(id, conn);
    port.onFrame((frame) => {
      if ("c" in frame && frame.c.c === "stopped") return this.stopped.get(id)?.(frame.c.wireMs);
      if (!conn.alive || this.finished) return;
      try {
        this.onFrame(id, frame);
      } catch (error) {
        this.fail(error);
      }
    });
    port.post({
      c: {
        c: "start",
        config: this.opts.config,
        actor: id,
        incarnation: this.restarts[id],
        restore: this.snapshots.get(id),
      },
    });
    // A restarted host first gets everything it had been given since its last safe point.
    for (const env of this.inbox.get(id)!) port.post({ e: encodeEnvelope(env) });
  }

  private open(id: ActorId, conn: Connection): Port {
    if (this.opts.transport === "inproc") {
      const [hubSide, actorSide] = inProcessPair();
      serveActor(id, this.opts.actors[id].factory, actorSide, {
        die: (error) => actorSide.post({ c: { c: "failed", error: describe(error) } }),
      });
      return hubSide;
    }
    const worker = new Worker(this.opts.actors[id].workerUrl);
    worker.addEventListener("error", (ev: ErrorEvent) => {
      ev.preventDefault();
      this.onDeath(id, conn, ev.message || "worker error");
    });
    worker.addEventListener("close", () => this.onDeath(id, conn, "worker exited"));
    return workerPort(worker);
  }

  private onFrame(from: ActorId, frame: Frame): void {
    if ("c" in frame) return this.onControl(from, frame.c);
    const t0 = performance.now();
    const env = decodeEnvelope(frame.e);
    this.clock.add(t0);
    if (env.from !== from) throw new Error(`${from} sent an envelope claiming to be from ${env.from}: ${env.id}`);
    const step = env.msg.step;
    let ids = this.seen.get(step);
    if (!ids) this.seen.set(step, (ids = new Set()));
    if (ids.has(env.id)) {
      this.duplicates++;
      return;
    }
    ids.add(env.id);
    this.messages++;
    this.pending.push(env);
    this.inbox.get(env.to)!.push(env);
    const t1 = performance.now();
    this.conns.get(env.to)!.port.post({ e: frame.e });
    this.clock.add(t1);
    if (env.msg.type === "policy.version") this.onPolicyVersion(env.msg);
  }

  private onControl(from: ActorId, c: ControlFrame): void {
    if (c.c === "checkpoint") {
      // The state covers everything before c.step: only later messages need re-sending after a crash.
      this.snapshots.set(from, c.state);
      this.inbox.set(from, this.inbox.get(from)!.filter((e) => e.msg.step >= c.step));
      this.opts.onCheckpoint?.(from, c.step, c.state);
    } else if (c.c === "timing" && from === "learner") {
      const { c: _c, ...t } = c;
      this.opts.onTiming?.(t);
    } else if (c.c === "failed") {
      this.onDeath(from, this.conns.get(from)!, c.error);
    }
  }

  private onPolicyVersion(v: PolicyVersion): void {
    this.finalDigest = v.digest;
    // A resumed learner re-announces the version it was checkpointed at; that update is not new.
    const resumedAnnouncement = this.opts.actorStates?.learner !== undefined && !this.announced;
    this.announced = true;
    if (v.stats && !resumedAnnouncement) this.stats.push(v.stats);
    // A new step begins: actors without a checkpoint of their own need nothing older to be rebuilt.
    for (const id of ACTOR_IDS) {
      if (this.snapshots.has(id)) continue;
      this.inbox.set(id, this.inbox.get(id)!.filter((e) => e.msg.step >= v.step));
    }
    for (const s of this.seen.keys()) if (s < v.step - 1) this.seen.delete(s);
    this.flush(v.step);
    if (!resumedAnnouncement) this.opts.onVersion?.(v);
    if (v.step >= Math.min(this.opts.config.steps, this.opts.stopAtStep ?? Infinity)) this.finish();
  }

  private flush(beforeStep: number): void {
    const ready = this.pending.filter((e) => e.msg.step < beforeStep);
    if (ready.length === 0) return;
    this.pending = this.pending.filter((e) => e.msg.step >= beforeStep);
    ready.sort(canonicalOrder);
    this.opts.record?.(ready);
  }

  /** `conn` is the connection that died; a late signal from an already replaced one is ignored. */
  private onDeath(id: ActorId, conn: Connection, reason: string): void {
    if (!conn.alive || this.finished) return;
    conn.alive = false;
    conn.port.close();
    this.restarts[id]++;
    const limit = this.opts.maxRestarts ?? 3;
    if (this.restarts[id] > limit) {
      this.fail(new RunFailed(`${id} failed ${this.restarts[id]} times (last: ${reason}); giving up`));
      return;
    }
    this.connect(id);
  }

  private finish(): void {
    const pending = this.pending.sort(canonicalOrder);
    this.pending = [];
    if (pending.length) this.opts.record?.(pending);
    const wallMs = performance.now() - this.startedAt;
    this.shutdown().then((actorWireMs) =>
      this.settle.resolve({
        steps: this.stats.length,
        finalDigest: this.finalDigest,
        stats: this.stats,
        messages: this.messages,
        duplicatesDropped: this.duplicates,
        restarts: { ...this.restarts },
        wallMs,
        hubWireMs: this.clock.ms,
        actorWireMs,
      }),
    );
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    void this.shutdown();
    this.settle.reject(error);
  }

  /** Ask every host to stop and report its wire time; close whatever has not answered in 5 s. */
  private shutdown(): Promise<Partial<Record<ActorId, number>>> {
    this.finished = true;
    const wire: Partial<Record<ActorId, number>> = {};
    const live = [...this.conns.entries()].filter(([, c]) => c.alive);
    return new Promise((resolve) => {
      let left = live.length;
      const done = () => {
        clearTimeout(timer);
        for (const [, c] of live) {
          c.alive = false;
          c.port.close();
        }
        resolve(wire);
      };
      const timer = setTimeout(done, 5000);
      if (left === 0) return done();
      for (const [id, conn] of live) {
        this.stopped.set(id, (ms) => {
          if (wire[id] !== undefined) return;
          wire[id] = ms;
          if (--left === 0) done();
        });
        conn.port.post({ c: { c: "stop" } });
      }
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
