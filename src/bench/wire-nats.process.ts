// One side of the wire benchmark as a process on NATS, over the same JetStream links as an actor
// process (src/runtime/nats/link.ts). Its settings come in the environment; ping prints its
// round-trip times as the last line of stdout.
import { jetstream } from "@nats-io/jetstream";
import { connectNats, natsSettings } from "../runtime/nats/connect.ts";
import { LinkReceiver, LinkSender } from "../runtime/nats/link.ts";
import { wireEndpoint, type WireStart } from "./wire-endpoint.ts";

const env = process.env as Record<string, string>;
const nc = await connectNats(natsSettings({}), "spz bench-wire");
const js = jetstream(nc);
const up = new LinkSender(js, env.SPZ_WIRE_UP!);
// Subscribed before the consumer exists: the hub says go once it sees every consumer.
let go = false;
let ready = false;
const start = () => handle({ start: { ...(JSON.parse(env.SPZ_WIRE_START!) as WireStart), role: "ping" } });
if (env.SPZ_WIRE_ROLE === "ping")
  nc.subscribe(env.SPZ_WIRE_GO!, {
    max: 1,
    callback: () => {
      go = true;
      if (ready) start();
    },
  });
const handle = wireEndpoint((d) => {
  if ("e" in d) return up.send({ e: d.e });
  console.log(JSON.stringify({ rtts: Array.from(d.result.rtts), elapsedMs: d.result.elapsedMs }));
  void up.drained().then(() => nc.close()).then(() => process.exit(0));
});
await LinkReceiver.open(js, env.SPZ_WIRE_STREAM!, env.SPZ_WIRE_DOWN!, (f) => "e" in f && handle({ e: f.e }), () => process.exit(1));
// Both sides listen before the first request: pong starts at once, ping once the hub says go.
if (env.SPZ_WIRE_ROLE === "pong") handle({ start: { ...(JSON.parse(env.SPZ_WIRE_START!) as WireStart), role: "pong" } });
else {
  ready = true;
  if (go) start();
}
process.on("SIGTERM", () => process.exit(0));
