// Hosts one actor machine behind a port, in a worker or in the main thread. Peers are registered in
// the machine's XState system as proxy actors under their system ids, so a machine addresses
// `system.get("learner")` the same way whether the learner lives in this thread or another one.

import { createActor, createMachine, fromCallback, type AnyActorLogic, type AnyActorRef } from "xstate";
import { decodeEnvelope, encodeEnvelope } from "../protocol/codec.ts";
import { ACTOR_IDS, PROTOCOL_VERSION, type ActorId, type Message } from "../protocol/messages.ts";
import type { RunConfig } from "./config.ts";
import type { ControlFrame, Port } from "./port.ts";
import type { ActorState } from "./actor-state.ts";
import { WireClock } from "./wire-clock.ts";
import { SINGLE, type Replica } from "./routing.ts";

/** Events a machine receives: the message plus its envelope id and sender. */
export type Inbound<M extends Message = Message> = M & { id: string; from: ActorId };
/** Events a machine sends to a peer: the message plus the deterministic id it must carry. */
export type Outbound<M extends Message = Message> = M & { id: string };

export interface ActorEnv {
  config: RunConfig;
  incarnation: number;
  /** Which share of its role this actor serves (a generator replica takes its chunks of each step). */
  replica: Replica;
  /** Learner only: parameters to resume from after a restart. */
  restore?: ActorState;
  /**
   * Hand the supervisor a state it can restart from, covering every message before `step`. Actors
   * that keep state across steps (the learner; the AZR proposer's buffers) call it at step starts.
   */
  checkpoint(step: number, state: ActorState): void;
  /** Learner only: report the step's timing (kept out of the messages so logs stay deterministic). */
  timing(t: LearnerTiming): void;
  /** Run `fn` when the host stops (close executors, subprocesses). */
  onStop(fn: () => Promise<void> | void): void;
}

export type LearnerTiming = Omit<Extract<ControlFrame, { c: "timing" }>, "c">;

export type ActorFactory = (env: ActorEnv) => AnyActorLogic | Promise<AnyActorLogic>;

/** Send a message to a peer by system id. The only way machines talk to each other. */
export function post(system: { get(id: string): AnyActorRef | undefined }, to: ActorId, event: Outbound): void {
  const ref = system.get(to);
  if (!ref) throw new Error(`no actor registered under system id "${to}"`);
  ref.send(event);
}

function peerProxy(self: ActorId, to: ActorId, port: Port, clock: WireClock) {
  return fromCallback<Outbound>(({ receive }) => {
    receive((event) => {
      const t0 = performance.now();
      const { id, ...msg } = event;
      port.post({ e: encodeEnvelope({ v: PROTOCOL_VERSION, id, from: self, to, msg: msg as Message }) });
      clock.add(t0);
    });
  });
}

export interface HostOptions {
  /** How to die when the machine fails: a worker crashes for real, an in-process host reports. */
  die(error: unknown): void;
  /** For injected "exit" faults; defaults to die(). */
  exit?(): void;
  /** Called once the machine runs and every message that arrived while it started was delivered. */
  started?(): void;
}

/** Serve one actor on a port until stopped. Returns once the port handler is installed. */
export function serveActor(actorId: ActorId, factory: ActorFactory, port: Port, opts: HostOptions): void {
  let actor: AnyActorRef | null = null;
  let rootRef: AnyActorRef | null = null;
  let config: RunConfig | null = null;
  let incarnation = 0;
  let step = -1;
  let seenThisStep = 0;
  const backlog: Uint8Array[] = [];
  let starting = false;
  const clock = new WireClock();
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0)) {
      try {
        await fn();
      } catch {
        // Stopping anyway: a failed cleanup must not keep the host alive.
      }
    }
  };

  const fail = (error: unknown) => {
    rootRef?.stop();
    void cleanup();
    opts.die(error);
  };

  const deliver = (bytes: Uint8Array) => {
    const t0 = performance.now();
    const env = decodeEnvelope(bytes);
    clock.add(t0);
    if (env.to !== actorId) throw new Error(`${actorId} received a message addressed to ${env.to}: ${env.id}`);
    if (env.msg.step !== step) {
      step = env.msg.step;
      seenThisStep = 0;
    }
    seenThisStep++;
    const fault = config?.faults.find((f) => f.actor === actorId && f.step === step && f.atMessage === seenThisStep);
    if (fault && incarnation === 0) {
      if (fault.kind === "exit" && opts.exit) return opts.exit();
      throw new Error(`injected fault in ${actorId} at step ${step}, message ${seenThisStep}`);
    }
    // The decoded message is ours alone: make it the event in place rather than copy it.
    const event = env.msg as Message & { id: string; from: ActorId };
    event.id = env.id;
    event.from = env.from;
    actor!.send(event);
  };

  const start = async (frame: Extract<ControlFrame, { c: "start" }>) => {
    starting = true;
    config = frame.config;
    incarnation = frame.incarnation;
    const env: ActorEnv = {
      config: frame.config,
      incarnation: frame.incarnation,
      replica: frame.replica ?? SINGLE,
      restore: frame.restore,
      checkpoint: (step, state) => port.post({ c: { c: "checkpoint", step, state } }),
      timing: (t) => port.post({ c: { c: "timing", ...t } }),
      onStop: (fn) => cleanups.push(fn),
    };
    const logic = await factory(env);
    const root = createActor(hostLogic(actorId, logic, port, clock));
    root.subscribe({ error: fail });
    root.start();
    actor = root.system.get(actorId) ?? null;
    if (!actor) throw new Error(`actor ${actorId} did not register`);
    actor.subscribe({ error: fail });
    rootRef = root;
    starting = false;
    for (const bytes of backlog.splice(0)) deliver(bytes);
    opts.started?.();
  };

  port.onFrame((frame) => {
    try {
      if ("e" in frame) {
        if (!actor || starting) backlog.push(frame.e);
        else deliver(frame.e);
      } else if (frame.c.c === "start") {
        start(frame.c).catch(fail);
      } else if (frame.c.c === "stop") {
        rootRef?.stop();
        void cleanup().then(() => port.post({ c: { c: "stopped", wireMs: clock.ms } }));
      }
    } catch (error) {
      fail(error);
    }
  });
}

/** A root machine whose only job is to register the actor and its peer proxies in one system. */
function hostLogic(actorId: ActorId, logic: AnyActorLogic, port: Port, clock: WireClock) {
  const peerIds = ACTOR_IDS.filter((p) => p !== actorId);
  return createMachine({
    id: `host:${actorId}`,
    invoke: [
      { id: actorId, systemId: actorId, src: logic },
      ...peerIds.map((p) => ({ id: p, systemId: p, src: peerProxy(actorId, p, port, clock) })),
    ],
  });
}
