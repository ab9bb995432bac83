// A port is one end of the link between the hub (main thread) and an actor host. Envelopes travel
// as msgpack bytes; control frames (start, checkpoint, fault) are small plain objects. The two
// implementations — a Bun Worker and an in-process pair — behave the same: asynchronous, FIFO.

import type { RunConfig } from "./config.ts";
import type { SamplingByRole } from "./sampling-stats.ts";
import type { ActorState } from "./actor-state.ts";
import type { Replica } from "./routing.ts";

export type ControlFrame =
  /** `replica`: this host's share of its role (absent: the only one). */
  | { c: "start"; config: RunConfig; actor: string; incarnation: number; restore?: ActorState; replica?: Replica }
  /** An actor's state covering every message of steps before `step` (restart and resume point). */
  | { c: "checkpoint"; step: number; state: ActorState }
  /** `code`: the error's exit code, when it carried one (a process on NATS reports it this way). */
  | { c: "failed"; error: string; code?: number }
  /**
   * Learner only: where the step's time went and how many tokens it sampled (never recorded: wall
   * time), and per role the sampling's entropy, lengths and truncation (deterministic, but kept off
   * the wire so recorded logs stay byte-identical).
   */
  | { c: "timing"; step: number; sampleMs: number; trainMs: number; sampledTokens: number; completions: number; sampling: SamplingByRole }
  | { c: "stop" }
  /** Reply to stop: this host's time on the wire. */
  | { c: "stopped"; wireMs: number };

export type Frame = { e: Uint8Array } | { c: ControlFrame };

export interface Port {
  post(frame: Frame): void;
  onFrame(handler: (frame: Frame) => void): void;
  close(): void;
}

/** Two connected in-process ports; delivery is asynchronous (a microtask) to match a worker's semantics. */
export function inProcessPair(): [Port, Port] {
  const handlers: [((f: Frame) => void) | null, ((f: Frame) => void) | null] = [null, null];
  const pending: [Frame[], Frame[]] = [[], []];
  let closed = false;
  const make = (self: 0 | 1): Port => {
    const other = (1 - self) as 0 | 1;
    return {
      post(frame) {
        if (closed) return;
        queueMicrotask(() => {
          if (closed) return;
          const h = handlers[other];
          if (h) h(frame);
          else pending[other].push(frame);
        });
      },
      onFrame(handler) {
        handlers[self] = handler;
        const queued = pending[self].splice(0);
        for (const f of queued) handler(f);
      },
      close() {
        closed = true;
      },
    };
  };
  return [make(0), make(1)];
}

/** Port over a Bun Worker, seen from the hub. Envelope buffers are transferred, not copied. */
export function workerPort(worker: Worker): Port {
  return {
    post(frame) {
      if ("e" in frame) worker.postMessage(frame, [frame.e.buffer as ArrayBuffer]);
      else worker.postMessage(frame);
    },
    onFrame(handler) {
      worker.onmessage = (ev: MessageEvent<Frame>) => handler(ev.data);
    },
    close() {
      worker.terminate();
    },
  };
}

/** Port over the worker's own global scope, seen from inside the worker. */
export function selfPort(): Port {
  const scope = globalThis as unknown as {
    postMessage(data: unknown, transfer?: ArrayBuffer[]): void;
    onmessage: ((ev: MessageEvent<Frame>) => void) | null;
    close(): void;
  };
  return {
    post(frame) {
      if ("e" in frame) scope.postMessage(frame, [frame.e.buffer as ArrayBuffer]);
      else scope.postMessage(frame);
    },
    onFrame(handler) {
      scope.onmessage = (ev) => handler(ev.data);
    },
    close() {
      scope.close();
    },
  };
}
