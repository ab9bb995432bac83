// bun run cluster: train over a private nats-server with a process per replica writes the log
// train writes in one process; bun run actor answers --help. Both through `bun run`, as users call them.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsMissing } from "../helpers/nats.ts";

setDefaultTimeout(120_000);
const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "spz-cluster-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const missing = natsMissing();
if (missing) console.log(missing);

const run = (script: string, args: string[]) => {
  const p = Bun.spawnSync(["bun", "run", script, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
};
const SIM = ["--backend", "sim", "--steps", "3", "--passages", "6", "--gen-samples", "4", "--pred-samples", "4", "--chunk", "2", "--runs-dir", join(dir, "runs")];

test.skipIf(Boolean(missing))("bun run cluster --replicas writes the log of bun run train in one process", () => {
  const c = run("cluster", [...SIM, "--replicas", "generator=2,predictor=3,reward=2", "--record", join(dir, "c.spzlog")]);
  expect({ code: c.code, err: c.code ? c.err.trim().split("\n").at(-1) : "" }).toEqual({ code: 0, err: "" });
  expect(c.out).toMatch(/^cluster: nats-server on nats:\/\/127\.0\.0\.1:\d+/m);
  const t = run("train", [...SIM, "--transport", "inproc", "--record", join(dir, "t.spzlog")]);
  expect(t.code).toBe(0);
  expect(readFileSync(join(dir, "c.spzlog")).equals(readFileSync(join(dir, "t.spzlog")))).toBe(true);
});

test("bun run actor --help and bun run cluster --help describe their flags", () => {
  const a = run("actor", ["--help"]);
  expect(a.code).toBe(0);
  expect(a.out).toContain("--replicas <int>");
  const c = run("cluster", ["--help"]);
  expect(c.code).toBe(0);
  expect(c.out).toContain("--replicas <string>");
});
