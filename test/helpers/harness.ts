// Host one actor in this thread with the test standing in for the hub: send it envelopes,
// collect what it sends. Peers are stubs: whatever the actor posts to them lands in `sent`.

import { decodeEnvelope, encodeEnvelope } from "../../src/protocol/codec.ts";
import { PROTOCOL_VERSION, type ActorId, type Envelope, type Message } from "../../src/protocol/messages.ts";
import type { RunConfig } from "../../src/runtime/config.ts";
import { serveActor, type ActorFactory } from "../../src/runtime/host.ts";
import { inProcessPair } from "../../src/runtime/port.ts";

export interface Harness {
  sent: Envelope[];
  checkpoints: number[];
  failures: string[];
  send(from: ActorId, id: string, msg: Message): void;
  /** Let microtasks and promise actors run. */
  settle(): Promise<void>;
  stop(): void;
}

export function hostAlone(actor: ActorId, factory: ActorFactory, config: RunConfig, restore?: Uint8Array): Harness {
  const [hub, side] = inProcessPair();
  let started = false;
  const h: Harness = {
    sent: [],
    checkpoints: [],
    failures: [],
    send(from, id, msg) {
      hub.post({ e: encodeEnvelope({ v: PROTOCOL_VERSION, id, from, to: actor, msg }) });
    },
    // Until the actor has started and nothing it does changes for several turns of the event loop
    // (a fixed number of turns was too few while a factory's imports load on busy cores).
    async settle() {
      const seen = () => h.sent.length + h.checkpoints.length + h.failures.length;
      const t0 = performance.now();
      let quiet = 0;
      let last = -1;
      while (quiet < 10 && performance.now() - t0 < 20_000) {
        await new Promise((r) => setTimeout(r, 1));
        const n = seen();
        quiet = started && n === last ? quiet + 1 : 0;
        last = n;
      }
    },
    stop() {
      hub.post({ c: { c: "stop" } });
    },
  };
  hub.onFrame((f) => {
    if ("e" in f) h.sent.push(decodeEnvelope(f.e));
    else if (f.c.c === "checkpoint") h.checkpoints.push(f.c.step);
    else if (f.c.c === "failed") h.failures.push(f.c.error);
  });
  serveActor(actor, factory, side, {
    die: (e) => h.failures.push(e instanceof Error ? e.message : String(e)),
    started: () => {
      started = true;
    },
  });
  hub.post({ c: { c: "start", config, actor, incarnation: 0, restore } });
  return h;
}
