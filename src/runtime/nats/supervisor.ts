// Keeps N processes of one role alive for a run: each one that dies is reported to the hub at once
// (spz.<run>.gone, so its work moves without waiting for a missed heartbeat) and started again,
// and the new process joins the run like any other. A process that exits 0 saw the run end; one
// that exits 2 met bad input (credentials, flags), which a restart would meet again.

import { hostname } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeValue, encodeValue } from "../../protocol/value-codec.ts";
import type { ActorId } from "../../protocol/messages.ts";
import { connectNats, natsEnv, type NatsSettings } from "./connect.ts";
import { runSubjects } from "./subjects.ts";

const ENTRY = join(import.meta.dir, "../../../actors/process.ts");
/** A process that dies this soon after its start, this many times in a row, is not started again. */
const QUICK_MS = 3_000;
const QUICK_LIMIT = 5;

export interface SupervisorOptions {
  role: ActorId;
  count: number;
  run: string;
  settings: NatsSettings;
  say?: (line: string) => void;
  /** Passed to the processes (tests shorten it). */
  hubTimeoutMs?: number;
}

export interface Supervised {
  /** Resolves with 0 once every process saw the run end, or the first fatal exit code. */
  done: Promise<number>;
  /** The pids of the processes now running, by replica position. */
  pids(): number[];
  /** Kill every process (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

export async function superviseRole(o: SupervisorOptions): Promise<Supervised> {
  const say = o.say ?? ((l: string) => console.error(l));
  const nc: NatsConnection = await connectNats(o.settings, `spz supervisor ${o.role}`);
  const subjects = runSubjects(o.run);
  const gone = subjects.gone;
  const children: (ReturnType<typeof Bun.spawn> | null)[] = Array.from({ length: o.count }, () => null);
  let stopping = false;
  let left = o.count;
  let settle!: (code: number) => void;
  const done = new Promise<number>((resolve) => (settle = resolve));
  let generation = 0;

  const start = (k: number, quick: number) => {
    const proc = `${hostname()}-${process.pid}-${o.role}${k}-${generation++}`;
    const startedAt = Date.now();
    // Role and run in argv only name the process in ps; its settings are in the environment.
    const child = Bun.spawn(["bun", ENTRY, o.role, o.run], {
      env: { ...process.env, ...natsEnv(o.settings), SPZ_ACTOR_ROLE: o.role, SPZ_RUN: o.run, SPZ_ACTOR_PROC: proc, ...(o.hubTimeoutMs ? { SPZ_HUB_TIMEOUT_MS: String(o.hubTimeoutMs) } : {}) },
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
    });
    children[k] = child;
    void child.exited.then((code) => {
      children[k] = null;
      if (stopping) return;
      if (code === 0) {
        if (--left === 0) settle(0);
        return;
      }
      const reason = child.signalCode ? `${o.role} process ${proc} was killed (${child.signalCode})` : `${o.role} process ${proc} exited with code ${code}`;
      nc.publish(gone, encodeValue({ proc, reason }));
      if (code === 2) {
        settle(2);
        return;
      }
      const q = Date.now() - startedAt < QUICK_MS ? quick + 1 : 0;
      if (q >= QUICK_LIMIT) {
        say(`${o.role}: ${q} processes in a row died within ${QUICK_MS / 1000} s of starting; not starting more`);
        settle(1);
        return;
      }
      if (code !== 3) say(`${reason}; starting another`);
      setTimeout(() => !stopping && start(k, q), 200);
    });
  };
  for (let k = 0; k < o.count; k++) start(k, 0);
  // "end" is not stored: a child that was restarting or standing by may miss it, so the supervisor,
  // which is always connected, also listens and lets its children go.
  nc.subscribe(subjects.hub, {
    callback: (_e, m) => {
      if (!(decodeValue(m.data) as { end?: boolean }).end || stopping) return;
      setTimeout(() => {
        if (stopping) return;
        void stop().then(() => settle(0));
      }, 5_000);
    },
  });

  const stop = async () => {
    stopping = true;
    const live = children.filter((c): c is NonNullable<typeof c> => c !== null);
    for (const c of live) c.kill("SIGTERM");
    const timer = setTimeout(() => live.forEach((c) => c.kill("SIGKILL")), 3_000);
    await Promise.all(live.map((c) => c.exited));
    clearTimeout(timer);
    await nc.close().catch(() => {});
  };
  void done.then(async () => {
    if (!stopping) await nc.close().catch(() => {});
  });
  return { done, pids: () => children.map((c) => c?.pid ?? -1), stop };
}
