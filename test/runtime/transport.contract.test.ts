// One contract over every transport: in process, Bun workers, and NATS (actor processes, with one
// replica per role and with several). For the same seed and flags each writes the same episode log
// byte for byte, and `replay --verify` of every actor reproduces it.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsForFile } from "../helpers/nats.ts";

setDefaultTimeout(240_000);

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "spz-transports-"));
const shared = natsForFile();
const missing = shared.missing;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Transport {
  name: string;
  args: () => string[];
  nats?: boolean;
}

const TRANSPORTS: Transport[] = [
  { name: "inproc", args: () => ["--transport", "inproc"] },
  { name: "worker", args: () => ["--transport", "worker"] },
  { name: "worker, replicas", args: () => ["--transport", "worker", "--replicas", "generator=2,predictor=2,reward=2"] },
  { name: "nats", args: () => ["--transport", "nats", "--nats-url", shared.get().url], nats: true },
  { name: "nats, replicas", args: () => ["--transport", "nats", "--nats-url", shared.get().url, "--replicas", "generator=2,predictor=3,reward=2"], nats: true },
];

interface Workload {
  name: string;
  args: string[];
}

const WORKLOADS: Workload[] = [
  { name: "simulator, pretrainzero", args: ["simulate", "--steps", "4", "--passages", "6", "--gen-samples", "4", "--pred-samples", "4", "--chunk", "2", "--seed", "5"] },
  { name: "default model, pretrainzero", args: ["train", "--steps", "2", "--passages", "4", "--gen-samples", "2", "--pred-samples", "4", "--chunk", "2"] },
  { name: "tiny fixture, azr", args: ["train", "--model", "fixtures/tiny-llama", "--task", "azr", "--steps", "2", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--seed", "2"] },
  { name: "tiny fixture, rlp", args: ["train", "--model", "fixtures/tiny-llama", "--task", "rlp", "--steps", "2", "--passages", "4", "--chunk", "2", "--seed", "3"] },
];

let n = 0;
/** The run's metrics rows apart from `wall` (timings). */
function metrics(name: string): unknown[] {
  return readFileSync(join(dir, "runs", name, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { wall: _w, ...row } = JSON.parse(l) as Record<string, unknown>;
      return row;
    });
}

async function run(w: Workload, t: Transport): Promise<{ log: string; out: string; metrics: unknown[] }> {
  const name = `r${n++}`;
  const log = join(dir, `${name}.spzlog`);
  const args = [...w.args, ...t.args(), "--record", log, "--runs-dir", join(dir, "runs"), "--run", name, "--json"];
  const p = Bun.spawn(["bun", MAIN, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...(missing ? {} : { SPZ_NATS_TOKEN: shared.get().token! }) } });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${err.trim().split("\n").at(-1)}`);
  return { log, out, metrics: metrics(name) };
}

for (const w of WORKLOADS) {
  describe(w.name, () => {
    let reference: Buffer | null = null;
    let referenceMetrics: unknown[] = [];
    for (const t of TRANSPORTS) {
      // The stateful AZR proposer runs as one replica: replicas there apply to predictor and reward only.
      const transport = w.name.includes("azr") ? { ...t, args: () => t.args().map((a) => a.replace(/^generator=\d+,/, "")) } : t;
      test.skipIf(Boolean(t.nats && missing))(`${t.name}: the episode log is byte-identical to the in-process one, and the metrics equal`, async () => {
        const r = await run(w, transport);
        const bytes = readFileSync(r.log);
        if (!reference) [reference, referenceMetrics] = [bytes, r.metrics];
        expect(bytes.length).toBeGreaterThan(1000);
        expect(bytes.equals(reference)).toBe(true);
        // The metrics too (sums over requests are taken in request-id order, whatever the arrival order).
        expect(r.metrics).toEqual(referenceMetrics);
        const summary = JSON.parse(r.out.trim().split("\n").at(-1)!) as { restarts: Record<string, number> };
        expect(Object.values(summary.restarts).every((x) => x === 0)).toBe(true);
        if (t.name === "nats, replicas") {
          const v = Bun.spawnSync(["bun", MAIN, "replay", r.log, "--verify"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
          expect({ code: v.exitCode, err: v.stderr.toString().trim().split("\n").at(-1) }).toEqual({ code: 0, err: expect.anything() });
        }
      });
    }
  });
}
