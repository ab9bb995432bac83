// `bun run bench-wire`: what the actor transport costs between workers.

import { wireBench, type WireBenchResult } from "../bench/wire.ts";
import { defineCommand } from "./args.ts";

export const benchWireCommand = defineCommand(
  {
    name: "bench-wire",
    summary: "Measure message round-trip latency and messages/s between two Bun workers through the hub.",
    flags: [
      { name: "count", type: "int", min: 10, default: 20000, help: "round trips per measurement" },
      { name: "payload", type: "int", min: 0, default: 1024, help: "bytes of prompt text per request (a factbook paragraph is about 1 KB)" },
    ],
    examples: ["bun run bench-wire", "bun run bench-wire --payload 16384 --json"],
  },
  async (args) => {
    const count = args.flags.count as number;
    const payload = args.flags.payload as number;
    const rows: WireBenchResult[] = [];
    await wireBench({ count: Math.min(count, 2000), window: 1, payload }); // warm-up
    for (const window of [1, 8, 64]) rows.push(await wireBench({ count, window, payload }));
    console.log(`wire: worker -> hub -> worker -> hub -> worker, msgpack envelopes, ${payload} B payload, ${count} round trips`);
    console.log(`${"window".padStart(6)}  ${"rtt p50 us".padStart(10)}  ${"rtt p99 us".padStart(10)}  ${"round trips/s".padStart(13)}  ${"messages/s".padStart(10)}`);
    for (const r of rows) {
      console.log(`${String(r.window).padStart(6)}  ${String(r.rttP50Us).padStart(10)}  ${String(r.rttP99Us).padStart(10)}  ${String(r.roundTripsPerSecond).padStart(13)}  ${String(r.messagesPerSecond).padStart(10)}`);
    }
    if (args.json) console.log(JSON.stringify({ payload, count, rows }));
    return 0;
  },
);
