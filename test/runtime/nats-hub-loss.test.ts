// Two "machines" on one: the hub's process (train --transport nats, starting the generator and
// reward itself) and a separate `bun run actor predictor --replicas 2`. The hub's process is
// SIGKILLed right after a checkpoint; `--resume` brings up a new hub, the predictor processes that
// outlived it join it again, and the finished run equals an uninterrupted in-process one: the same
// metrics rows (apart from wall) and the same episode-log bytes.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsForFile } from "../helpers/nats.ts";

setDefaultTimeout(180_000);

const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const shared = natsForFile();
const missing = shared.missing;
const dir = mkdtempSync(join(tmpdir(), "spz-hub-loss-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIM = ["simulate", "--steps", "6", "--passages", "4", "--gen-samples", "4", "--pred-samples", "4", "--chunk", "2", "--seed", "3", "--checkpoint-every", "1"];

function cli(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: p.exitCode, signal: p.signalCode, err: p.stderr.toString() };
}

const rows = (run: string) =>
  readFileSync(join(dir, "runs", run, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { wall: _w, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });

test.skipIf(Boolean(missing))("the hub's process SIGKILLed after a checkpoint: --resume finishes it with the remote predictors rejoining, equal to an uninterrupted run", async () => {
  const ref = cli([...SIM, "--run", "ref", "--record", "ref.spzlog", "--transport", "inproc"]);
  expect(ref.code).toBe(0);
  const env = { SPZ_NATS_TOKEN: shared.get().token! };
  const nats = ["--transport", "nats", "--nats-url", shared.get().url, "--replicas", "predictor=2,reward=2", "--spawn", "generator,reward"];
  // The other machine: two predictor processes, kept alive by their supervisor across the hub's loss.
  const remote = Bun.spawn(["bun", MAIN, "actor", "predictor", "--run", "lost", "--nats-url", shared.get().url, "--replicas", "2"], { cwd: dir, stdout: "ignore", stderr: "pipe", env: { ...process.env, ...env, SPZ_HUB_TIMEOUT_MS: "4000" } });
  try {
    const killed = cli([...SIM, "--run", "lost", "--record", "lost.spzlog", ...nats], { ...env, SPZ_KILL_AT: "checkpoint:3:after" });
    expect(killed.signal).toBe("SIGKILL");
    const resumed = cli(["simulate", "--resume", join("runs", "lost"), ...nats], env);
    expect({ code: resumed.code, err: resumed.code ? resumed.err.trim().split("\n").at(-1) : "" }).toEqual({ code: 0, err: "" });
    // The run ended: the remote supervisor's processes saw it and exit, and so does it.
    expect(await Promise.race([remote.exited, Bun.sleep(20_000).then(() => "still running")])).toBe(0);
  } finally {
    remote.kill("SIGKILL");
  }
  expect(rows("lost")).toEqual(rows("ref"));
  expect(readFileSync(join(dir, "lost.spzlog")).equals(readFileSync(join(dir, "ref.spzlog")))).toBe(true);
  // The killed hub's own generator and reward processes noticed they were orphaned and exited.
  const left = Bun.spawnSync(["pgrep", "-f", "actors/process.ts (generator|predictor|reward) lost$"], { stdout: "pipe" }).stdout.toString().trim();
  expect(left).toBe("");
});
