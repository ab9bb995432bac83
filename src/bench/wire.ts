// Measures what the actor transport costs: round-trip latency and messages per second between two
// Bun workers, routed through a main-thread hub that decodes every envelope as the real hub does.

import { decodeEnvelope } from "../protocol/codec.ts";

export interface WireBenchOptions {
  count: number;
  /** Requests kept in flight: 1 measures latency, more measures throughput. */
  window: number;
  /** Bytes of prompt text per request. */
  payload: number;
}

export interface WireBenchResult extends WireBenchOptions {
  rttP50Us: number;
  rttP99Us: number;
  roundTripsPerSecond: number;
  /** Messages crossing the hub per second (a round trip is two). */
  messagesPerSecond: number;
}

export async function wireBench(opts: WireBenchOptions): Promise<WireBenchResult> {
  const url = new URL("./wire.worker.ts", import.meta.url);
  const ping = new Worker(url);
  const pong = new Worker(url);
  try {
    const result = await new Promise<{ rtts: Float64Array; elapsedMs: number }>((resolve, reject) => {
      const route = (to: Worker) => (ev: MessageEvent) => {
        const d = ev.data as { e?: Uint8Array; result?: { rtts: Float64Array; elapsedMs: number } };
        if (d.result) return resolve(d.result);
        decodeEnvelope(d.e!);
        to.postMessage(d, [d.e!.buffer as ArrayBuffer]);
      };
      ping.onmessage = route(pong);
      pong.onmessage = route(ping);
      ping.onerror = pong.onerror = (e) => reject(new Error(`wire bench worker failed: ${e.message}`));
      pong.postMessage({ start: { ...opts, role: "pong" } });
      ping.postMessage({ start: { ...opts, role: "ping" } });
    });
    const sorted = Array.from(result.rtts).sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000;
    const rps = opts.count / (result.elapsedMs / 1000);
    return { ...opts, rttP50Us: Math.round(q(0.5)), rttP99Us: Math.round(q(0.99)), roundTripsPerSecond: Math.round(rps), messagesPerSecond: Math.round(2 * rps) };
  } finally {
    ping.terminate();
    pong.terminate();
  }
}
