// Every subject of a run lives under spz.<run>., so two runs on one NATS server never see each
// other's messages (and a server's permissions can confine a user to one run: spz.<run>.>).
//   spz.<run>.join            actor process -> hub: a request for a slot of its role
//   spz.<run>.hb              actor process -> hub: a heartbeat request; the reply says whether its slot is still its own
//   spz.<run>.gone            supervisor -> hub: a child process died (faster than a missed heartbeat)
//   spz.<run>.hub             hub -> everyone: "end" when the run is over
//   spz.<run>.ping            hub -> hub: is this run already served?
//   spz.<run>.<epoch>.l.<role>.<replica>.<incarnation>.{down,up}
//                             the JetStream links of one incarnation of one replica (stream SPZ_<hash>_<epoch>)

import { hashString } from "../rng.ts";
import type { ActorId } from "../../protocol/messages.ts";

/** A run name as one subject token: letters, digits, - and _ stay; anything else is ~XX (UTF-8 bytes). */
export function runToken(run: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(run)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `~${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

export interface RunSubjects {
  join: string;
  heartbeat: string;
  gone: string;
  hub: string;
  ping: string;
}

export function runSubjects(run: string): RunSubjects {
  const p = `spz.${runToken(run)}`;
  return { join: `${p}.join`, heartbeat: `${p}.hb`, gone: `${p}.gone`, hub: `${p}.hub`, ping: `${p}.ping` };
}

/** The stream of one hub's lifetime (epoch) of a run, and its subjects. */
export function linkStream(run: string, epoch: string): { name: string; subjects: string } {
  return { name: `SPZ_${hashString(run).toString(16).padStart(8, "0")}_${epoch}`, subjects: `spz.${runToken(run)}.${epoch}.l.>` };
}

export function linkSubjects(run: string, epoch: string, role: ActorId, replica: number, incarnation: number): { down: string; up: string } {
  const p = `spz.${runToken(run)}.${epoch}.l.${role}.${replica}.${incarnation}`;
  return { down: `${p}.down`, up: `${p}.up` };
}
