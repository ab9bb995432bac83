// The hub runs on the main thread: it routes envelopes between actor hosts, drops duplicates,
// writes the episode log in canonical order, and supervises the hosts. It never interprets
// messages beyond their routing fields and the learner's policy versions.

import { decodeEnvelope, encodeEnvelope } from "../protocol/codec.ts";
import { ACTOR_IDS, type ActorId, type Envelope, type PolicyVersion, type StepStats } from "../protocol/messages.ts";
import { STAGE_RANK } from "../protocol/message-table.ts";
import type { RunConfig, TransportKind } from "./config.ts";
import { serveActor, type ActorFactory, type LearnerTiming } from "./host.ts";
import { inProcessPair, workerPort, type ControlFrame, type Frame, type Port } from "./port.ts";
import { WireClock } from "./wire-clock.ts";
import type { ActorState } from "./actor-state.ts";
import { route, type Replica } from "./routing.ts";

/**
 * Where a role's replicas live when they are not threads of this process (NATS: processes on any
 * machine). `open` gives the port of a fresh incarnation of one replica; `died` reports a lost
 * incarnation (`lost`: it vanished without a word, e.g. SIGKILL, which no restart rule can judge).
 */
export interface RemoteTransport {
  readonly roles: readonly ActorId[];
  open(role: ActorId, replica: Replica, incarnation: number, died: (reason: string, lost: boolean) => void): Port;
  /** The run ended: tell every process of it, and let go of the messaging system. */
  close(): Promise<void>;
}

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
  /** Sees every message once (duplicates dropped), before its step's policy.version is reported: metrics derived from messages. */
  observe?: (env: Envelope) => void;
  /** Every actor checkpoint (the learner's after each update), e.g. to write some of them to disk. */
  onCheckpoint?: (actor: ActorId, step: number, state: ActorState) => void;
  /** Actor states to start from (resume): the learner's, and any other stateful actor's. */
  actorStates?: Partial<Record<ActorId, ActorState>>;
  /** End the run once this step begins (an interruption that can be resumed). */
  stopAtStep?: number;
  /** Restarts allowed per replica before the run fails. */
  maxRestarts?: number;
  /** Replicas per role (default 1); never changes a byte of the log (src/runtime/routing.ts). */
  replicas?: Partial<Record<ActorId, number>>;
  /** Roles hosted elsewhere (transport "nats"); the others run as workers of this process. */
  remote?: RemoteTransport;
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
  role: ActorId;
  replica: Replica;
  port: Port;
  alive: boolean;
  /** Frames this incarnation has sent (envelopes, duplicates included, and control frames): how far it got. */
  frames: number;
}

/**
 * The run stopped because an actor kept failing. The message is one short line (no stack, no
 * source); `exitCode` is the failing error's own code when it carried one (2: bad input found by
 * an actor), else 1.
 */
export class RunFailed extends Error {
  override name = "RunFailed";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** How an actor last failed: the one-line reason and how far its incarnation got. */
interface Failure {
  reason: string;
  frames: number;
}

export function canonicalOrder(a: Envelope, b: Envelope): number {
  return a.msg.step - b.msg.step || STAGE_RANK[a.msg.type] - STAGE_RANK[b.msg.type] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** One replica of a role: "predictor" when it has one, "predictor#2" among several. */
type SlotKey = string;

export class Hub {
  private readonly conns = new Map<SlotKey, Connection>();
  /** Per replica: what it was given since its last safe point (re-sent to a new incarnation). */
  private readonly inbox = new Map<SlotKey, Envelope[]>();
  private readonly seen = new Map<number, Set<string>>();
  /** Request id -> the replica that sent it, per step (its response goes home). */
  private readonly origin = new Map<number, Map<string, number>>();
  private readonly counts: Record<ActorId, number>;
  private pending: Envelope[] = [];
  /**
   * Latest checkpoint of each actor that keeps state across steps, to restart a crashed actor
   * from. A learner's tensor state is kept as the tensors it was handed in: over a worker, one
   * structured-clone copy of its parameters and Adam state (12 bytes per fp32 parameter, in
   * buffers of at most one layout group each); in process, references to the learner's own
   * buffers, which its steps replace rather than write into (no copy).
   */
  private readonly snapshots = new Map<ActorId, ActorState>();
  private readonly restarts = Object.fromEntries(ACTOR_IDS.map((a) => [a, 0])) as Record<ActorId, number>;
  private readonly slotRestarts = new Map<SlotKey, number>();
  private readonly stats: StepStats[] = [];
  private messages = 0;
  private duplicates = 0;
  private finalDigest = "";
  private readonly clock = new WireClock();
  private settle!: { resolve(r: RunResult): void; reject(e: unknown): void };
  private startedAt = 0;
  private finished = false;
  private announced = false;
  private readonly stopped = new Map<SlotKey, (wireMs: number) => void>();
  private readonly lastFailure = new Map<SlotKey, Failure>();
  /** Exit code carried by the error an in-process actor died of (workers report it in the message). */
  private readonly failureCodes = new Map<ActorId, number>();

  constructor(private readonly opts: HubOptions) {
    for (const [id, state] of Object.entries(opts.actorStates ?? {})) if (state) this.snapshots.set(id as ActorId, state);
    this.counts = Object.fromEntries(ACTOR_IDS.map((a) => [a, Math.max(1, opts.replicas?.[a] ?? 1)])) as Record<ActorId, number>;
    for (const id of ACTOR_IDS) {
      if (this.counts[id] > 1 && (id === "learner" || this.snapshots.has(id))) throw new Error(`${id} keeps state across steps: it runs as one replica`);
    }
  }

  run(): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.startedAt = performance.now();
      for (const id of ACTOR_IDS) {
        for (let i = 0; i < this.counts[id]; i++) {
          const replica = { index: i, count: this.counts[id] };
          this.inbox.set(slotKey(id, replica), []);
          this.connect(id, replica);
        }
      }
    });
  }

  private connect(id: ActorId, replica: Replica): void {
    const key = slotKey(id, replica);
    const conn = { role: id, replica, alive: true, frames: 0 } as Connection;
    const incarnation = this.slotRestarts.get(key) ?? 0;
    const port = (conn.port = this.open(id, replica, incarnation, conn));
    this.conns.set(key, conn);
    port.onFrame((frame) => {
      if ("c" in frame && frame.c.c === "stopped") return this.stopped.get(key)?.(frame.c.wireMs);
      // A state handed in on the last version (the AZR proposer checkpoints when it receives it)
      // arrives after the run finished but before the host's "stopped": it is the final checkpoint.
      if (this.finished && conn.alive && "c" in frame && frame.c.c === "checkpoint") return this.onControl(conn, frame.c);
      if (!conn.alive || this.finished) return;
      if (!("c" in frame && frame.c.c === "failed")) conn.frames++;
      try {
        this.onFrame(conn, frame);
      } catch (error) {
        this.fail(error);
      }
    });
    port.post({
      c: {
        c: "start",
        config: this.opts.config,
        actor: id,
        incarnation,
        restore: this.snapshots.get(id),
        ...(replica.count > 1 ? { replica } : {}),
      },
    });
    // A restarted host first gets everything it had been given since its last safe point.
    for (const env of this.inbox.get(key)!) port.post({ e: encodeEnvelope(env) });
  }

  private open(id: ActorId, replica: Replica, incarnation: number, conn: Connection): Port {
    const remote = this.opts.remote;
    if (remote && remote.roles.includes(id)) return remote.open(id, replica, incarnation, (reason, lost) => this.onDeath(conn, reason, lost));
    if (this.opts.transport === "inproc") {
      const [hubSide, actorSide] = inProcessPair();
      serveActor(id, this.opts.actors[id].factory, actorSide, {
        die: (error) => {
          const code = exitCodeOf(error);
          if (code !== undefined) this.failureCodes.set(id, code);
          else this.failureCodes.delete(id);
          actorSide.post({ c: { c: "failed", error: describe(error) } });
        },
      });
      return hubSide;
    }
    const worker = new Worker(this.opts.actors[id].workerUrl);
    worker.addEventListener("error", (ev: ErrorEvent) => {
      ev.preventDefault();
      this.onDeath(conn, ev.message || "worker error");
    });
    worker.addEventListener("close", () => this.onDeath(conn, "worker exited"));
    return workerPort(worker);
  }

  private onFrame(conn: Connection, frame: Frame): void {
    const from = conn.role;
    if ("c" in frame) return this.onControl(conn, frame.c);
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
    if (conn.replica.count > 1) {
      let o = this.origin.get(step);
      if (!o) this.origin.set(step, (o = new Map()));
      o.set(env.id, conn.replica.index);
    }
    this.messages++;
    this.opts.observe?.(env);
    this.pending.push(env);
    const count = this.counts[env.to];
    const t1 = performance.now();
    for (const index of route(env, count, (req) => this.origin.get(step)?.get(req))) {
      const key = slotKey(env.to, { index, count });
      this.inbox.get(key)!.push(env);
      // One receiver takes the buffer itself (a worker transfers it); others get their own copy.
      this.conns.get(key)!.port.post({ e: index === count - 1 || env.msg.type !== "policy.version" ? frame.e : new Uint8Array(frame.e) });
    }
    this.clock.add(t1);
    if (env.msg.type === "policy.version") this.onPolicyVersion(env.msg);
  }

  private onControl(conn: Connection, c: ControlFrame): void {
    const from = conn.role;
    const key = slotKey(from, conn.replica);
    if (c.c === "checkpoint") {
      // The state covers everything before c.step: only later messages need re-sending after a crash.
      this.snapshots.set(from, c.state);
      this.inbox.set(key, this.inbox.get(key)!.filter((e) => e.msg.step >= c.step));
      this.opts.onCheckpoint?.(from, c.step, c.state);
    } else if (c.c === "timing" && from === "learner") {
      const { c: _c, ...t } = c;
      this.opts.onTiming?.(t);
    } else if (c.c === "failed") {
      if (c.code !== undefined) this.failureCodes.set(from, c.code);
      this.onDeath(conn, c.error);
    }
  }

  private onPolicyVersion(v: PolicyVersion): void {
    this.finalDigest = v.digest;
    // A resumed learner re-announces the version it was checkpointed at; that update is not new.
    const resumedAnnouncement = this.opts.actorStates?.learner !== undefined && !this.announced;
    this.announced = true;
    if (v.stats && !resumedAnnouncement) this.stats.push(v.stats);
    // A new step begins: actors without a checkpoint of their own need nothing older to be rebuilt.
    for (const conn of this.conns.values()) {
      if (this.snapshots.has(conn.role)) continue;
      const key = slotKey(conn.role, conn.replica);
      this.inbox.set(key, this.inbox.get(key)!.filter((e) => e.msg.step >= v.step));
    }
    for (const s of this.seen.keys()) if (s < v.step - 1) this.seen.delete(s);
    for (const s of this.origin.keys()) if (s < v.step - 1) this.origin.delete(s);
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

  /**
   * `conn` is the connection that died; a late signal from an already replaced one is ignored.
   *
   * A crash is retried (up to maxRestarts) only when a retry can help. A failure that is
   * deterministic ends the run at once with its own message:
   * - at start-up: the incarnation failed before it sent anything, i.e. while its factory built it
   *   (loading a corpus, a model) or on the first message it was given. A restart rebuilds it from
   *   the same configuration and feeds it the same messages, so it would fail the same way;
   * - a repeat: a restarted incarnation failed with the same message after exactly as many frames
   *   as the one before it, i.e. at the same point of the same re-sent messages.
   * A genuine crash mid-run (the actor had made progress) is restarted as before.
   */
  private onDeath(conn: Connection, rawReason: string, lost = false): void {
    if (!conn.alive || this.finished) return;
    conn.alive = false;
    conn.port.close();
    const id = conn.role;
    const key = slotKey(id, conn.replica);
    const who = conn.replica.count > 1 ? `${id} replica ${conn.replica.index}` : id;
    const reason = oneLineReason(rawReason);
    const code = this.failureCodes.get(id) ?? exitCodeInReport(rawReason) ?? 1;
    this.restarts[id]++;
    const restarts = (this.slotRestarts.get(key) ?? 0) + 1;
    this.slotRestarts.set(key, restarts);
    const limit = this.opts.maxRestarts ?? 3;
    const previous = this.lastFailure.get(key);
    this.lastFailure.set(key, { reason, frames: conn.frames });
    if (restarts > limit) {
      this.fail(new RunFailed(`${who} failed ${restarts} times (last: ${reason}); giving up`, code));
      return;
    }
    // A process that vanished (killed, its machine gone) says nothing about whether a retry helps.
    if (!lost && conn.frames === 0) {
      this.fail(new RunFailed(`${who} failed at start-up, not restarted (it would fail the same way): ${reason}`, code));
      return;
    }
    if (!lost && previous && previous.reason === reason && previous.frames === conn.frames) {
      this.fail(new RunFailed(`${who} failed the same way after a restart, giving up: ${reason}`, code));
      return;
    }
    this.connect(id, conn.replica);
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
    const stoppedAll = new Promise<Partial<Record<ActorId, number>>>((resolve) => {
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
      for (const [key, conn] of live) {
        this.stopped.set(key, (ms) => {
          if (this.stopped.get(key) === undefined) return;
          this.stopped.delete(key);
          // Replicas of a role add up: the role's time on the wire.
          wire[conn.role] = (wire[conn.role] ?? 0) + ms;
          if (--left === 0) done();
        });
        conn.port.post({ c: { c: "stop" } });
      }
    });
    return stoppedAll.then(async (w) => {
      await this.opts.remote?.close().catch(() => {});
      return w;
    });
  }
}

function slotKey(role: ActorId, replica: Replica): SlotKey {
  return replica.count > 1 ? `${role}#${replica.index}` : role;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function exitCodeOf(e: unknown): number | undefined {
  if (typeof e !== "object" || e === null || !("exitCode" in e)) return undefined;
  const c = (e as { exitCode: unknown }).exitCode;
  return typeof c === "number" && Number.isInteger(c) && c > 0 ? c : undefined;
}

/** A worker's uncaught-error report lists the error's own properties, e.g. ` exitCode: 2,`. */
function exitCodeInReport(report: string): number | undefined {
  const m = /^\s*exitCode: (\d+),?\s*$/m.exec(report);
  return m ? Number(m[1]) : undefined;
}

const MAX_REASON = 400;

/**
 * The one line worth showing from an actor's failure report. A worker's uncaught error arrives as
 * the runtime prints it: source lines (`12 | code`), a caret, `Name: message`, the error's own
 * properties and the stack (`at f (file:1:2)`). Keep the message; drop the rest.
 */
export function oneLineReason(report: string): string {
  const lines = report.split(/\r?\n/);
  const noise = (l: string) =>
    /^\s*\d+\s*\|/.test(l) || /^\s*\^+\s*$/.test(l) || /^\s*at\s/.test(l) || /^\s*$/.test(l) || /^\s+[\w$]+: .*,\s*$/.test(l) || /^\s*[{}]\s*$/.test(l);
  const named = lines.find((l) => /^(?:[A-Z][\w$]*(?:Error|Exception)|error): /.test(l));
  let line = named ? named.replace(/^(?:[A-Z][\w$]*(?:Error|Exception)|error): /, "") : (lines.find((l) => !noise(l)) ?? report);
  line = line.replace(/\s+/g, " ").trim() || "unknown error";
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 3)}...` : line;
}
