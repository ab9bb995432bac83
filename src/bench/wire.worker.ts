// One side of the wire benchmark. "ping" keeps a window of sample requests in flight to "pong"
// (through the hub, as actors do) and times each round trip; "pong" decodes and answers.

import { decodeEnvelope, encodeEnvelope } from "../protocol/codec.ts";
import { PROTOCOL_VERSION, type SampleRequest } from "../protocol/messages.ts";

interface Start { count: number; window: number; payload: number; role: "ping" | "pong" }
const scope = globalThis as unknown as { postMessage(d: unknown, t?: ArrayBuffer[]): void; onmessage: ((ev: MessageEvent) => void) | null };
let role: Start["role"] = "pong";
let sentAt: Float64Array;
let rtts: Float64Array;
let next = 0;
let done = 0;
let t0 = 0;
let cfg: Start;
let text = "";

function send(i: number) {
  const msg: SampleRequest = { type: "sample.request", step: 0, version: 0, role: "predictor", n: 8, prompts: [{ key: `k${i}`, text }] };
  const bytes = encodeEnvelope({ v: PROTOCOL_VERSION, id: `m${i}`, from: "predictor", to: "learner", msg });
  sentAt[i] = performance.now();
  scope.postMessage({ e: bytes }, [bytes.buffer as ArrayBuffer]);
}

scope.onmessage = (ev) => {
  const d = ev.data as { start?: Start; e?: Uint8Array };
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
      v: PROTOCOL_VERSION, id: `${env.id}r`, from: "learner", to: "predictor",
      msg: { type: "sample.response", request: env.id, step: 0, version: 0, role: "predictor", results: [{ key: "k", completions: [{ text: "\\boxed{x}" }] }] },
    });
    scope.postMessage({ e: reply }, [reply.buffer as ArrayBuffer]);
    return;
  }
  const i = Number(env.id.slice(1, -1));
  rtts[i] = performance.now() - sentAt[i]!;
  done++;
  if (next < cfg.count) send(next++);
  if (done === cfg.count) scope.postMessage({ result: { rtts, elapsedMs: performance.now() - t0 } });
};
