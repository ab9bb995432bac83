// Measures what the actor transport costs: round-trip latency and messages per second between two
// Bun workers, routed through a main-thread hub that decodes every envelope as the real hub does.

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { decodeEnvelope } from "../protocol/codec.ts";
import { connectNats, natsEnv, type NatsSettings } from "../runtime/nats/connect.ts";
import { newEpoch } from "../runtime/nats/hub-transport.ts";
import { LinkReceiver, LinkSender } from "../runtime/nats/link.ts";
import { linkStream, linkSubjects } from "../runtime/nats/subjects.ts";

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

/** Percentiles of the round trips (ms in, µs out) and the rates, whatever carried them (never the NATS settings: they hold the token). */
function summarize(opts: WireBenchOptions, rtts: ArrayLike<number>, elapsedMs: number): WireBenchResult {
  const sorted = Array.from(rtts).sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000;
  const rps = opts.count / (elapsedMs / 1000);
  return { count: opts.count, window: opts.window, payload: opts.payload, rttP50Us: Math.round(q(0.5)), rttP99Us: Math.round(q(0.99)), roundTripsPerSecond: Math.round(rps), messagesPerSecond: Math.round(2 * rps) };
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
    return summarize(opts, result.rtts, result.elapsedMs);
  } finally {
    ping.terminate();
    pong.terminate();
  }
}

/**
 * The same measurement over NATS: ping and pong are processes, and the hub (this process) reads
 * and forwards every envelope over the JetStream links an actor process uses.
 */
export async function wireBenchNats(opts: WireBenchOptions & { settings: NatsSettings }): Promise<WireBenchResult> {
  const nc = await connectNats(opts.settings, "spz bench-wire hub");
  const jsm = await jetstreamManager(nc);
  const epoch = newEpoch();
  const stream = linkStream("bench-wire", epoch);
  await jsm.streams.add({ name: stream.name, subjects: [stream.subjects], storage: "file" as never, max_age: 3600 * 1e9 });
  const js = jetstream(nc);
  const links = (side: string) => linkSubjects("bench-wire", epoch, side === "ping" ? "predictor" : "learner", 0, 0);
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  const receivers: LinkReceiver[] = [];
  try {
    const senders = { ping: new LinkSender(js, links("ping").down), pong: new LinkSender(js, links("pong").down) };
    for (const [side, to] of [["ping", "pong"], ["pong", "ping"]] as const) {
      receivers.push(
        await LinkReceiver.open(js, stream.name, links(side).up, (f) => {
          if (!("e" in f)) return;
          decodeEnvelope(f.e);
          senders[to].send(f);
        }, () => {}),
      );
    }
    const go = `spz.bench-wire.${epoch}.go`;
    const spawn = (side: "ping" | "pong") =>
      Bun.spawn(["bun", new URL("./wire-nats.process.ts", import.meta.url).pathname], {
        stdout: "pipe",
        stderr: "inherit",
        env: {
          ...process.env,
          ...natsEnv(opts.settings),
          SPZ_WIRE_ROLE: side,
          SPZ_WIRE_UP: links(side).up,
          SPZ_WIRE_DOWN: links(side).down,
          SPZ_WIRE_STREAM: stream.name,
          SPZ_WIRE_GO: go,
          SPZ_WIRE_START: JSON.stringify({ count: opts.count, window: opts.window, payload: opts.payload }),
        },
      });
    const pong = spawn("pong");
    const ping = spawn("ping");
    procs.push(pong, ping);
    // Both have subscribed once the hub sees their consumers; a short wait, then go.
    for (let i = 0; i < 100 && (await jsm.consumers.list(stream.name).next()).length < 4; i++) await Bun.sleep(50);
    // Said until ping starts answering (it may subscribe after the first word).
    const says = setInterval(() => nc.publish(go), 500);
    nc.publish(go);
    const out = await new Response(ping.stdout as ReadableStream).text();
    const code = await ping.exited;
    clearInterval(says);
    if (code !== 0) throw new Error(`bench-wire: the NATS ping process exited with code ${code}`);
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as { rtts: number[]; elapsedMs: number };
    return summarize(opts, r.rtts, r.elapsedMs);
  } finally {
    for (const p of procs) p.kill();
    for (const r of receivers) r.close();
    await jsm.streams.delete(stream.name).catch(() => {});
    await nc.close();
  }
}
