// One side of the wire benchmark, whatever carries it (a Bun worker, a process on NATS). "ping"
// keeps a window of sample requests in flight to "pong" (through the hub, as actors do) and times
// each round trip; "pong" decodes and answers.

import { decodeEnvelope, encodeEnvelope } from "../protocol/codec.ts";
import { PROTOCOL_VERSION, type SampleRequest } from "../protocol/messages.ts";

export interface WireStart {
  count: number;
  window: number;
  payload: number;
  role: "ping" | "pong";
}

export type WireData = { start?: WireStart; e?: Uint8Array };
export type WireOut = { e: Uint8Array } | { result: { rtts: Float64Array; elapsedMs: number } };

/** The endpoint's message handler; `post` sends to the hub (an envelope's buffer may be transferred). */
export function wireEndpoint(post: (d: WireOut) => void): (d: WireData) => void {
  let role: WireStart["role"] = "pong";
  let sentAt = new Float64Array(0);
  let rtts = new Float64Array(0);
  let next = 0;
  let done = 0;
  let t0 = 0;
  let cfg: WireStart;
  let text = "";
  const send = (i: number) => {
    const msg: SampleRequest = { type: "sample.request", step: 0, version: 0, role: "predictor", n: 8, prompts: [{ key: `k${i}`, text }] };
    const bytes = encodeEnvelope({ v: PROTOCOL_VERSION, id: `m${i}`, from: "predictor", to: "learner", msg });
    sentAt[i] = performance.now();
    post({ e: bytes });
  };
  return (d) => {
    if (d.start) {
      cfg = d.start;
      role = cfg.role;
      if (role === "pong") return;
      text = "x".repeat(cfg.payload);
      sentAt = new Float64Array(cfg.count);
      rtts = new Float64Array(cfg.count);
      t0 = performance.now();
      while (next < Math.min(cfg.window, cfg.count)) send(next++);
      return;
    }
    const env = decodeEnvelope(d.e!);
    if (role === "pong") {
      const reply = encodeEnvelope({
        v: PROTOCOL_VERSION,
        id: `${env.id}r`,
        from: "learner",
        to: "predictor",
        msg: { type: "sample.response", request: env.id, step: 0, version: 0, role: "predictor", results: [{ key: "k", completions: [{ text: "\\boxed{x}" }] }] },
      });
      post({ e: reply });
      return;
    }
    const i = Number(env.id.slice(1, -1));
    rtts[i] = performance.now() - sentAt[i]!;
    done++;
    if (next < cfg.count) send(next++);
    if (done === cfg.count) post({ result: { rtts, elapsedMs: performance.now() - t0 } });
  };
}
