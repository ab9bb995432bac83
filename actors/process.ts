// Process entry point of the NATS transport: this process hosts one actor role of one run.
// Spawned by a supervisor (src/runtime/nats/supervisor.ts) with its settings in the environment.
import { ACTORS } from "./index.ts";
import { isActorId } from "../src/protocol/messages.ts";
import { natsSettings } from "../src/runtime/nats/connect.ts";
import { serveActorProcess } from "../src/runtime/nats/actor-process.ts";

const role = process.env.SPZ_ACTOR_ROLE;
const run = process.env.SPZ_RUN;
const proc = process.env.SPZ_ACTOR_PROC ?? `${role}-${process.pid}`;
try {
  if (!isActorId(role)) throw new Error(`SPZ_ACTOR_ROLE must be an actor role, got ${role}`);
  if (!run) throw new Error("SPZ_RUN must name the run");
  const hubTimeoutMs = process.env.SPZ_HUB_TIMEOUT_MS ? Number(process.env.SPZ_HUB_TIMEOUT_MS) : undefined;
  const code = await serveActorProcess({ role, run, proc, settings: natsSettings({}), factory: ACTORS[role].factory, hubTimeoutMs });
  process.exit(code);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit((e as { exitCode?: number }).exitCode ?? 1);
}
