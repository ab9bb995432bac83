// The hub's side of the NATS transport. Actor processes anywhere join the run by asking for a slot
// of their role; the hub hands each replica's incarnation to one process, talks to it over two
// JetStream links, and takes the slot back when the process dies (its supervisor says so, or its
// heartbeats stop). The hub then opens a new incarnation of the slot, which the next process of
// that role to join (a restarted one, or a standby) takes over, and re-sends it what the replica
// had in hand: the usual supervision (src/runtime/hub.ts), so the log never changes.

import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeValue, encodeValue } from "../../protocol/value-codec.ts";
import { customAlphabet } from "nanoid";
import type { ActorId } from "../../protocol/messages.ts";
import type { RemoteTransport } from "../hub.ts";
import type { Frame, Port } from "../port.ts";
import type { Replica } from "../routing.ts";
import { connectNats, type NatsSettings } from "./connect.ts";
import { LinkReceiver, LinkSender } from "./link.ts";
import { linkStream, linkSubjects, runSubjects, type RunSubjects } from "./subjects.ts";

export const newEpoch = customAlphabet("0123456789abcdefghijklmnopqrstuvwxyz", 10);

/** What a joining process is told: its slot, or to wait (every slot of its role is taken). */
export type JoinReply =
  | { wait: true }
  | { wait?: false; epoch: string; stream: string; down: string; up: string; role: ActorId; replica: Replica; incarnation: number };

export interface NatsHubOptions {
  settings: NatsSettings;
  run: string;
  /** The roles whose processes join over NATS (the learner stays a worker of the hub's process). */
  roles: readonly ActorId[];
  /** A process silent this long is taken for dead (default 10 s: longer than a brief network loss). */
  heartbeatTimeoutMs?: number;
  /** Progress lines ("waiting for a predictor process..."). */
  say?: (line: string) => void;
}

interface Slot {
  role: ActorId;
  replica: Replica;
  incarnation: number;
  down: string;
  up: string;
  proc: string | null;
  closed: boolean;
  died: (reason: string, lost: boolean) => void;
  openedAt: number;
  warned: boolean;
}

export class NatsHubTransport implements RemoteTransport {
  private readonly slots = new Set<Slot>();
  private readonly lastSeen = new Map<string, number>();
  private readonly subs: Subscription[] = [];
  private readonly senders = new Set<LinkSender>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly opts: NatsHubOptions,
    readonly epoch: string,
    private readonly subjects: RunSubjects,
    private readonly stream: string,
  ) {}

  get roles(): readonly ActorId[] {
    return this.opts.roles;
  }

  static async start(opts: NatsHubOptions): Promise<NatsHubTransport> {
    const nc = await connectNats(opts.settings, `spz hub ${opts.run}`);
    const subjects = runSubjects(opts.run);
    try {
      // Two hubs answering one run's joins would split its actors: the second one refuses.
      const other = await nc.request(subjects.ping, undefined, { timeout: 300 }).catch(() => null);
      if (other) throw new Error(`run ${opts.run} is already served by another hub on ${opts.settings.url}; choose another --run name`);
      const jsm = await jetstreamManager(nc).catch((e: Error) => {
        throw new Error(`NATS at ${opts.settings.url} has no JetStream (start nats-server with -js): ${e.message}`);
      });
      const epoch = newEpoch();
      const s = linkStream(opts.run, epoch);
      // File storage: what is in flight survives a restart of nats-server itself.
      // Streams a killed hub of this run left behind (its ping went unanswered above, so it is gone).
      const prefix = s.name.slice(0, s.name.lastIndexOf("_") + 1);
      for await (const old of jsm.streams.names()) if (old.startsWith(prefix)) await jsm.streams.delete(old).catch(() => {});
      // No max_bytes: a limit is reserved against the server's JetStream storage up front.
      await jsm.streams.add({ name: s.name, subjects: [s.subjects], storage: "file" as never, max_age: 24 * 3600 * 1e9 });
      const t = new NatsHubTransport(nc, jetstream(nc), jsm, opts, epoch, subjects, s.name);
      t.listen();
      return t;
    } catch (e) {
      await nc.close().catch(() => {});
      throw e;
    }
  }

  open(role: ActorId, replica: Replica, incarnation: number, died: (reason: string, lost: boolean) => void): Port {
    const { down, up } = linkSubjects(this.opts.run, this.epoch, role, replica.index, incarnation);
    const slot: Slot = { role, replica, incarnation, down, up, proc: null, closed: false, died, openedAt: Date.now(), warned: false };
    this.slots.add(slot);
    const sender = new LinkSender(this.js, down);
    this.senders.add(sender);
    let receiver: LinkReceiver | null = null;
    let handler: ((f: Frame) => void) | null = null;
    const early: Frame[] = [];
    LinkReceiver.open(
      this.js,
      this.stream,
      up,
      (f) => (handler ? handler(f) : early.push(f)),
      (e) => this.lose(slot, `link from ${role} lost: ${(e as Error).message}`),
    ).then(
      (r) => {
        if (slot.closed) r.close();
        else receiver = r;
      },
      (e: Error) => this.lose(slot, `cannot read the link from ${role}: ${e.message}`),
    );
    return {
      post: (frame) => sender.send(frame),
      onFrame: (h) => {
        handler = h;
        for (const f of early.splice(0)) h(f);
      },
      close: () => {
        slot.closed = true;
        this.slots.delete(slot);
        // What was posted (a stop) still reaches the process; the links go when the stream does.
        void sender.drained().then(() => {
          sender.close();
          this.senders.delete(sender);
        });
        receiver?.close();
      },
    };
  }

  /** Tell the run's processes it ended, drop its stream, disconnect; at most a few seconds, whatever NATS does. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.timer) clearInterval(this.timer);
    const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => {}, () => {}), Bun.sleep(ms)]);
    this.closing = (async () => {
      try {
        this.nc.publish(this.subjects.hub, encodeValue({ end: true, epoch: this.epoch }));
        await within(this.nc.flush(), 2_000);
        for (const s of this.subs) s.unsubscribe();
        await within(this.jsm.streams.delete(this.stream), 2_000);
      } finally {
        // Nothing is retried once the run is over.
        for (const sender of this.senders) sender.close();
        await within(this.nc.close(), 2_000);
      }
    })();
    return this.closing;
  }

  private listen(): void {
    const nc = this.nc;
    this.subs.push(
      nc.subscribe(this.subjects.ping, {
        callback: (_e, m) => {
          m.respond(encodeValue({ epoch: this.epoch }));
        },
      }),
      nc.subscribe(this.subjects.join, {
        callback: (_e, m) => {
          const { role, proc } = decodeValue(m.data) as { role: ActorId; proc: string };
          m.respond(encodeValue(this.join(role, proc)));
        },
      }),
      nc.subscribe(this.subjects.heartbeat, {
        callback: (_e, m) => {
          const { proc } = decodeValue(m.data) as { proc: string };
          const holds = [...this.slots].some((s) => s.proc === proc);
          if (holds) this.lastSeen.set(proc, Date.now());
          m.respond(encodeValue({ ok: holds }));
        },
      }),
      nc.subscribe(this.subjects.gone, {
        callback: (_e, m) => {
          const { proc, reason } = decodeValue(m.data) as { proc: string; reason: string };
          for (const s of [...this.slots]) if (s.proc === proc) this.lose(s, reason);
        },
      }),
    );
    const timeout = this.opts.heartbeatTimeoutMs ?? 10_000;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const s of [...this.slots]) {
        if (s.proc !== null && now - (this.lastSeen.get(s.proc) ?? 0) > timeout) {
          this.lose(s, `${s.role} process ${s.proc} sent no heartbeat for ${Math.round(timeout / 1000)} s`);
        } else if (s.proc === null && !s.warned && now - s.openedAt > 5_000) {
          s.warned = true;
          this.opts.say?.(
            `waiting for a ${s.role} process to join run ${this.opts.run}: bun run actor ${s.role} --run ${this.opts.run} --nats-url ${this.opts.settings.url}`,
          );
        }
      }
    }, 250);
  }

  private join(role: ActorId, proc: string): JoinReply {
    if (this.closing) return { wait: true };
    const held = [...this.slots].find((s) => s.proc === proc);
    const slot = held ?? [...this.slots].filter((s) => s.role === role && s.proc === null && !s.closed).sort((a, b) => a.replica.index - b.replica.index)[0];
    if (!slot) return { wait: true };
    slot.proc = proc;
    this.lastSeen.set(proc, Date.now());
    return { epoch: this.epoch, stream: this.stream, down: slot.down, up: slot.up, role, replica: slot.replica, incarnation: slot.incarnation };
  }

  private lose(slot: Slot, reason: string): void {
    if (slot.closed) return;
    slot.closed = true;
    this.slots.delete(slot);
    slot.died(reason, true);
  }
}
