// The wire benchmark measures real round trips between two workers through a decoding hub.

import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { wireBench, wireBenchNats } from "../../src/bench/wire.ts";
import { natsMissing, natsServer } from "../helpers/nats.ts";

// Worker start-up takes seconds on 2 shared cores.
setDefaultTimeout(60_000);

test("every round trip is timed and each carries two messages through the hub", async () => {
  const r = await wireBench({ count: 300, window: 4, payload: 256 });
  expect(r.rttP50Us).toBeGreaterThan(0);
  expect(r.rttP99Us).toBeGreaterThanOrEqual(r.rttP50Us);
  expect(r.roundTripsPerSecond).toBeGreaterThan(0);
  expect(Math.abs(r.messagesPerSecond - 2 * r.roundTripsPerSecond)).toBeLessThanOrEqual(1);
});

test("bench-wire refuses a bad flag with one line and exit 2", () => {
  const p = Bun.spawnSync(["bun", join(import.meta.dir, "../../src/cli/main.ts"), "bench-wire", "--count", "1"], { stdout: "pipe", stderr: "pipe" });
  expect(p.exitCode).toBe(2);
  expect(p.stderr.toString().trim().split("\n")).toHaveLength(1);
});

test.skipIf(Boolean(natsMissing()))("over NATS, every round trip is timed between two processes through the hub, with bench-wire's table", async () => {
  const server = await natsServer();
  try {
    const r = await wireBenchNats({ count: 200, window: 4, payload: 256, settings: { url: server.url, token: server.token } });
    // The result is printed with --json: it must not carry the credentials.
    expect(JSON.stringify(r)).not.toContain(server.token!);
    expect(r.rttP50Us).toBeGreaterThan(0);
    expect(r.rttP99Us).toBeGreaterThanOrEqual(r.rttP50Us);
    expect(Math.abs(r.messagesPerSecond - 2 * r.roundTripsPerSecond)).toBeLessThanOrEqual(1);
  } finally {
    await server.stop();
  }
  const p = Bun.spawnSync(["bun", "run", "bench-wire", "--transport", "both", "--count", "100", "--json"], { cwd: join(import.meta.dir, "../.."), stdout: "pipe", stderr: "pipe" });
  expect(p.exitCode).toBe(0);
  const rows = (JSON.parse(p.stdout.toString().trim().split("\n").at(-1)!) as { rows: { transport: string }[] }).rows;
  expect(rows.map((r) => r.transport)).toEqual(["worker", "worker", "worker", "nats", "nats", "nats"]);
});
