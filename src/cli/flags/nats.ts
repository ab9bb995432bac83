// The NATS group: where the messaging system is, the run's credentials, and how many replicas of
// each role the run has and which of them this process starts itself.

import type { ActorId } from "../../protocol/messages.ts";
import { natsSettings, type NatsSettings } from "../../runtime/nats/connect.ts";
import { parseReplicas, REPLICABLE } from "../../runtime/routing.ts";
import { InputError, type FlagSpec, type ParsedArgs } from "../args.ts";

export const NATS_CONNECTION_FLAGS: readonly FlagSpec[] = [
  { name: "nats-url", type: "string", help: "NATS server of the run, nats://host:port (or tls://; env SPZ_NATS_URL)" },
  { name: "nats-token", type: "string", help: "the server's authorization token (env SPZ_NATS_TOKEN; the environment keeps it out of ps)" },
  { name: "nats-nkey", type: "path", help: "a user NKey seed file (SU...), for a server that lists the user's public key (env SPZ_NATS_NKEY)" },
  { name: "nats-tls-ca", type: "path", help: "CA certificate (PEM) that signed the server's TLS certificate; implies TLS (env SPZ_NATS_TLS_CA)" },
];

export const NATS_FLAGS: readonly FlagSpec[] = [
  ...NATS_CONNECTION_FLAGS,
  { name: "replicas", type: "string", default: "", help: "replicas per role, e.g. generator=2,predictor=4,reward=2 (default 1 each; the learner is one process); on any transport, never changing the log" },
  {
    name: "spawn",
    type: "string",
    default: "all",
    help: "roles whose replicas this process starts on this machine with --transport nats: all, none, or a list (generator,reward); the others join with bun run actor ROLE",
  },
];

export function readNatsSettings(args: ParsedArgs): NatsSettings {
  const f = args.flags;
  try {
    return natsSettings({ url: f["nats-url"] as string | undefined, token: f["nats-token"] as string | undefined, nkeyFile: f["nats-nkey"] as string | undefined, tlsCa: f["nats-tls-ca"] as string | undefined });
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

export function readReplicas(args: ParsedArgs): Record<ActorId, number> {
  try {
    return parseReplicas(args.flags.replicas as string);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

export function readSpawn(args: ParsedArgs): ActorId[] {
  const spec = (args.flags.spawn as string).trim();
  if (spec === "all") return [...REPLICABLE];
  if (spec === "none") return [];
  const roles = spec.split(",").map((s) => s.trim());
  for (const r of roles) if (!(REPLICABLE as readonly string[]).includes(r)) throw new InputError(`--spawn: "${r}" is not a role that runs over NATS; use all, none or a list of ${REPLICABLE.join(", ")}`);
  return [...new Set(roles)] as ActorId[];
}
