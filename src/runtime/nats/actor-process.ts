// One actor process on the NATS transport: join the run, take the slot the hub hands out, and
// serve the actor on it until the run stops it. A process whose slot was taken away (the hub gave
// it up for dead), or whose hub went silent, exits with EXIT_REJOIN so that its supervisor starts a
// fresh one, which joins again: the same run when its hub resumes, or whatever the hub needs next.

import { jetstream } from "@nats-io/jetstream";
import { decodeValue, encodeValue } from "../../protocol/value-codec.ts";
import type { ActorId } from "../../protocol/messages.ts";
import { serveActor, type ActorFactory } from "../host.ts";
import type { Frame, Port } from "../port.ts";
import { connectNats, NatsConnectError, type NatsSettings } from "./connect.ts";
import type { JoinReply } from "./hub-transport.ts";
import { LinkReceiver, LinkSender } from "./link.ts";
import { runSubjects } from "./subjects.ts";


/** The run ended: nothing to rejoin. */
export const EXIT_DONE = 0;
/** The slot is gone (taken over, hub lost): a supervisor starts a fresh process. */
export const EXIT_REJOIN = 3;

export interface ActorProcessOptions {
  role: ActorId;
  run: string;
  proc: string;
  settings: NatsSettings;
  factory: ActorFactory;
  /** The hub is taken for lost after this long without a heartbeat reply (default 15 s). */
  hubTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Its supervisor died (killed with the hub's process): nobody would start it again, or stop it. */
const parent = process.ppid;
function orphaned(): boolean {
  return process.ppid !== parent;
}

/** Serve until the run is over; resolves to the exit code the process should end with. */
export async function serveActorProcess(o: ActorProcessOptions): Promise<number> {
  const log = o.log ?? ((l: string) => console.error(l));
  // A server that is down for now (restarting) is waited for; refused credentials end the process.
  let nc: Awaited<ReturnType<typeof connectNats>> | null = null;
  for (let warned = false; !nc; ) {
    try {
      nc = await connectNats(o.settings, `spz ${o.role} ${o.proc}`);
    } catch (e) {
      if (!(e instanceof NatsConnectError) || !e.retryable || orphaned()) throw e;
      if (!warned) log(`${o.role} ${o.proc}: ${e.message}; retrying every second`);
      warned = true;
      await Bun.sleep(1_000);
    }
  }
  const subjects = runSubjects(o.run);
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let assignment: Extract<JoinReply, { epoch: string }> | null = null;
  nc.subscribe(subjects.hub, {
    callback: (_e, m) => {
      const said = decodeValue(m.data) as { end?: boolean; epoch: string };
      // Only the hub this process serves (or, while it waits, any hub of the run) can end it.
      if (said.end && (!assignment || assignment.epoch === said.epoch)) finish(EXIT_DONE);
    },
  });

  // Ask for a slot until one is free (no hub yet, or every slot of the role taken: wait).
  while (!assignment) {
    const reply = await nc.request(subjects.join, encodeValue({ role: o.role, proc: o.proc }), { timeout: 2_000 }).catch(() => null);
    const r = reply ? (decodeValue(reply.data) as JoinReply) : null;
    if (r && !r.wait) assignment = r;
    else if (await Promise.race([finished.then(() => true), Bun.sleep(500).then(() => false)])) return close(EXIT_DONE);
    else if (orphaned()) return close(EXIT_REJOIN);
  }
  const a = assignment;
  log(`${o.role} ${o.proc}: serving replica ${a.replica.index + 1} of ${a.replica.count} (incarnation ${a.incarnation}) of run ${o.run}`);

  const js = jetstream(nc);
  const sender = new LinkSender(js, a.up);
  let handler: ((f: Frame) => void) | null = null;
  const early: Frame[] = [];
  const receiver = await LinkReceiver.open(js, a.stream, a.down, (f) => (handler ? handler(f) : early.push(f)), () => finish(EXIT_REJOIN));
  const port: Port = {
    post(frame) {
      sender.send(frame);
      // Stopped: the run is over once the hub has our last word.
      if ("c" in frame && frame.c.c === "stopped") void Promise.race([sender.drained(), Bun.sleep(10_000)]).then(() => finish(EXIT_DONE));
    },
    onFrame(h) {
      handler = h;
      for (const f of early.splice(0)) h(f);
    },
    close() {
      receiver.close();
    },
  };
  serveActor(o.role, o.factory, port, {
    die(error) {
      // As a worker's crash: the hub hears why, then the process is gone.
      const code = (error as { exitCode?: unknown } | null)?.exitCode;
      port.post({ c: { c: "failed", error: error instanceof Error ? error.message : String(error), ...(typeof code === "number" ? { code } : {}) } });
      // Within 5 s: with NATS gone the hub finds out from the supervisor or the missing heartbeats.
      void Promise.race([sender.drained(), Bun.sleep(5_000)]).then(() => finish(1));
    },
    exit() {
      finish(1);
    },
  });

  const timeout = o.hubTimeoutMs ?? 15_000;
  let lastReply = Date.now();
  const beat = setInterval(async () => {
    if (orphaned()) return finish(EXIT_REJOIN);
    const reply = await nc.request(subjects.heartbeat, encodeValue({ proc: o.proc }), { timeout: 2_000 }).catch(() => null);
    if (reply) {
      lastReply = Date.now();
      if (!(decodeValue(reply.data) as { ok: boolean }).ok) {
        log(`${o.role} ${o.proc}: the hub gave this slot to another process; rejoining`);
        finish(EXIT_REJOIN);
      }
    } else if (Date.now() - lastReply > timeout) {
      log(`${o.role} ${o.proc}: no word from the hub for ${Math.round(timeout / 1000)} s; rejoining`);
      finish(EXIT_REJOIN);
    }
  }, 1_000);
  const code = await finished;
  clearInterval(beat);
  receiver.close();
  return close(code);

  async function close(code: number): Promise<number> {
    await nc?.close().catch(() => {});
    return code;
  }
}
