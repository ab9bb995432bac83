// `bun run bench-wire`: what the actor transport costs, between workers and over NATS.

import { wireBench, wireBenchNats, type WireBenchResult } from "../bench/wire.ts";
import { startNatsServer } from "../runtime/nats/server.ts";
import { defineCommand } from "./args.ts";
import { NATS_CONNECTION_FLAGS, readNatsSettings } from "./flags/nats.ts";

export const benchWireCommand = defineCommand(
  {
    name: "bench-wire",
    summary: "Measure message round-trip latency and messages/s through the hub: between two Bun workers, and between two processes over NATS (JetStream links).",
    flags: [
      { name: "count", type: "int", min: 10, default: 20000, help: "round trips per measurement" },
      { name: "payload", type: "int", min: 0, default: 1024, help: "bytes of prompt text per request (a factbook paragraph is about 1 KB)" },
      { name: "transport", type: "enum", values: ["worker", "nats", "both"], default: "worker", help: "what to measure; nats without --nats-url starts a private nats-server" },
      ...NATS_CONNECTION_FLAGS,
    ],
    examples: ["bun run bench-wire", "bun run bench-wire --transport both --count 5000", "bun run bench-wire --payload 16384 --json"],
  },
  async (args) => {
    const count = args.flags.count as number;
    const payload = args.flags.payload as number;
    const which = args.flags.transport as "worker" | "nats" | "both";
    const rows: (WireBenchResult & { transport: string })[] = [];
    if (which !== "nats") {
      await wireBench({ count: Math.min(count, 2000), window: 1, payload }); // warm-up
      for (const window of [1, 8, 64]) rows.push({ transport: "worker", ...(await wireBench({ count, window, payload })) });
    }
    if (which !== "worker") {
      const own = args.flags["nats-url"] || process.env.SPZ_NATS_URL ? null : await startNatsServer();
      try {
        const settings = own ? { url: own.url, ...(own.token ? { token: own.token } : {}) } : readNatsSettings(args);
        await wireBenchNats({ count: Math.min(count, 500), window: 1, payload, settings }); // warm-up
        for (const window of [1, 8, 64]) rows.push({ transport: "nats", ...(await wireBenchNats({ count, window, payload, settings })) });
      } finally {
        await own?.stop();
      }
    }
    console.log(`wire: endpoint -> hub -> endpoint -> hub -> endpoint, msgpack envelopes, ${payload} B payload, ${count} round trips`);
    console.log("worker: two Bun workers of this process; nats: two processes, JetStream links through nats-server (file storage)");
    console.log(`${"transport".padEnd(9)}  ${"window".padStart(6)}  ${"rtt p50 us".padStart(10)}  ${"rtt p99 us".padStart(10)}  ${"round trips/s".padStart(13)}  ${"messages/s".padStart(10)}`);
    for (const r of rows) {
      console.log(
        `${r.transport.padEnd(9)}  ${String(r.window).padStart(6)}  ${String(r.rttP50Us).padStart(10)}  ${String(r.rttP99Us).padStart(10)}  ${String(r.roundTripsPerSecond).padStart(13)}  ${String(r.messagesPerSecond).padStart(10)}`,
      );
    }
    if (args.json) console.log(JSON.stringify({ payload, count, rows }));
    return 0;
  },
);
