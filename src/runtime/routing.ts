// Which replica of a role gets an envelope. Replicas split a step's work by item key, so the
// replica count and which replica did what never change a message: every message is a function of
// the messages about its own item, and the hub orders the log.
//   - policy.version goes to every replica (each generator replica takes its share of the step);
//   - a response goes back to the replica that sent its request (the one waiting for it);
//   - anything else goes to the replica its item key hashes to, so the halves a reward replica joins
//     (answers and predictions of one paragraph, proposals and predictions of one chunk) meet.

import type { ActorId, Envelope } from "../protocol/messages.ts";
import { hashString } from "./rng.ts";

export type ReplicaCounts = Readonly<Record<ActorId, number>>;

/** A role's replica: its index among `count`. The learner and stateful actors have one. */
export interface Replica {
  index: number;
  count: number;
}

export const SINGLE: Replica = { index: 0, count: 1 };

/** The roles that may run as several replicas (the learner owns the model: one process). */
export const REPLICABLE: readonly ActorId[] = ["generator", "predictor", "reward"];

/** The item key of a deterministic message id (`step|from|type|key`, src/protocol/messages.ts). */
export function itemKey(id: string): string {
  let bars = 0;
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) === 124 && ++bars === 3) return id.slice(i + 1);
  return id;
}

/** The replica an item key belongs to. */
export function replicaOfKey(key: string, count: number): number {
  return count <= 1 ? 0 : hashString(key) % count;
}

/**
 * The replicas of `env.to` that receive `env`. `origin` gives the replica that sent a request id,
 * for routing its response home.
 */
export function route(env: Envelope, count: number, origin: (requestId: string) => number | undefined): number[] {
  if (count <= 1) return [0];
  if (env.msg.type === "policy.version") return Array.from({ length: count }, (_, i) => i);
  const request = (env.msg as { request?: unknown }).request;
  if (typeof request === "string") {
    const home = origin(request);
    if (home !== undefined) return [home % count];
  }
  return [replicaOfKey(itemKey(env.id), count)];
}

/** `--replicas generator=2,predictor=4,reward=2` -> counts per role (unnamed roles: 1). */
export function parseReplicas(spec: string): Record<ActorId, number> {
  const counts: Record<ActorId, number> = { generator: 1, predictor: 1, reward: 1, learner: 1 };
  if (spec.trim() === "") return counts;
  for (const part of spec.split(",")) {
    const m = /^\s*([a-z]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`--replicas: "${part}" is not role=count (e.g. generator=2,predictor=4,reward=2)`);
    const role = m[1] as ActorId;
    if (!(REPLICABLE as readonly string[]).includes(role)) {
      throw new Error(
        role === "learner"
          ? `--replicas: the learner runs as one process (it owns the model); replicate ${REPLICABLE.join(", ")}`
          : `--replicas: unknown role "${m[1]}"; roles: ${REPLICABLE.join(", ")}`,
      );
    }
    const n = Number(m[2]);
    if (n < 1 || n > 64) throw new Error(`--replicas: ${role}=${n} is out of range; 1 to 64 replicas`);
    counts[role] = n;
  }
  return counts;
}
