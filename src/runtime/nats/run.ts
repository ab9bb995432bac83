// A run over NATS, from the hub's side: the transport, and the processes this machine starts for
// the roles it serves itself (the rest join from other machines with `bun run actor`).

import type { ActorId } from "../../protocol/messages.ts";
import type { NatsSettings } from "./connect.ts";
import { NatsHubTransport } from "./hub-transport.ts";
import { superviseRole, type Supervised } from "./supervisor.ts";
import { REPLICABLE } from "../routing.ts";

export interface NatsRun {
  remote: NatsHubTransport;
  supervisors: Partial<Record<ActorId, Supervised>>;
  /** Rejects when a supervisor of this machine gives up (its processes keep dying, or met bad input). */
  failed: Promise<never>;
  /** Stop the local processes (after the hub said "end", they are on their way out already). */
  stop(): Promise<void>;
}

export async function startNatsRun(o: {
  settings: NatsSettings;
  run: string;
  replicas: Record<ActorId, number>;
  spawn: readonly ActorId[];
  say: (line: string) => void;
  heartbeatTimeoutMs?: number;
  hubTimeoutMs?: number;
}): Promise<NatsRun> {
  const remote = await NatsHubTransport.start({ settings: o.settings, run: o.run, roles: REPLICABLE, say: o.say, heartbeatTimeoutMs: o.heartbeatTimeoutMs });
  const supervisors: Partial<Record<ActorId, Supervised>> = {};
  try {
    for (const role of o.spawn) supervisors[role] = await superviseRole({ role, count: o.replicas[role], run: o.run, settings: o.settings, say: o.say, hubTimeoutMs: o.hubTimeoutMs });
  } catch (e) {
    await Promise.all(Object.values(supervisors).map((s) => s!.stop()));
    await remote.close();
    throw e;
  }
  const remoteRoles = REPLICABLE.filter((r) => !o.spawn.includes(r));
  o.say(
    `nats: ${o.settings.url} run ${o.run} epoch ${remote.epoch}; replicas ${REPLICABLE.map((r) => `${r}=${o.replicas[r]}`).join(",")}; ` +
      `started here: ${o.spawn.length ? o.spawn.join(",") : "none"}${remoteRoles.length ? `; waiting for ${remoteRoles.join(",")} to join (bun run actor ROLE --run ${o.run})` : ""}`,
  );
  let ending = false;
  const failed = new Promise<never>((_, reject) => {
    for (const [role, sup] of Object.entries(supervisors)) {
      void sup!.done.then((code) => {
        if (code !== 0 && !ending) reject(Object.assign(new Error(`the ${role} processes of this machine keep failing (see above); the run cannot go on`), { exitCode: code }));
      });
    }
  });
  failed.catch(() => {});
  return {
    remote,
    supervisors,
    failed,
    async stop() {
      ending = true;
      // Processes that saw the run end exit by themselves; give them a moment before the kill.
      await Promise.race([Promise.all(Object.values(supervisors).map((s) => s!.done)), Bun.sleep(3_000)]);
      await Promise.all(Object.values(supervisors).map((s) => s!.stop()));
    },
  };
}
