// An interrupted run resumed from its checkpoint continues exactly as if it had never stopped:
// same parameter digests at every step, same metrics, same episode log bytes.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const RUN = ["--steps", "5", "--passages", "4", "--gen-samples", "4", "--pred-samples", "4", "--chunk", "2", "--seed", "5", "--transport", "inproc", "--checkpoint-every", "1"];

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
const metrics = (run: string) =>
  readFileSync(join(dir, "runs", run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => {
    const { wall: _w, ...rest } = JSON.parse(l);
    return rest;
  });

test("a stopped and resumed run equals an uninterrupted one, step for step and byte for byte", () => {
  expect(cli("simulate", ...RUN, "--run", "whole", "--record", join(dir, "whole.spzlog")).code).toBe(0);
  const a = cli("simulate", ...RUN, "--run", "split", "--record", join(dir, "split.spzlog"), "--stop-after", "2");
  expect(a.code).toBe(0);
  expect(a.out).toMatch(/continue with --resume/);
  // A crash after the checkpoint leaves a metrics line and a torn log tail behind; resume trims both.
  appendFileSync(join(dir, "runs", "split", "metrics.jsonl"), '{"step":2,"partial":true}\n');
  appendFileSync(join(dir, "split.spzlog"), new Uint8Array([9, 9, 9]));
  const b = cli("simulate", "--resume", join(dir, "runs", "split"), "--transport", "inproc");
  expect(b.code).toBe(0);
  expect(b.out).toMatch(/resuming .* at step 2 of 5/);
  expect(metrics("split")).toEqual(metrics("whole"));
  expect(readFileSync(join(dir, "split.spzlog")).equals(readFileSync(join(dir, "whole.spzlog")))).toBe(true);
});

test("a corrupted newest checkpoint is named and skipped; resume uses the one before", () => {
  expect(cli("simulate", ...RUN, "--run", "bad", "--stop-after", "3").code).toBe(0);
  const ck = join(dir, "runs", "bad", "checkpoints", "ckpt-00000003", "learner.bin");
  const bytes = readFileSync(ck);
  bytes[10] ^= 0xff;
  writeFileSync(ck, bytes);
  const r = cli("simulate", "--resume", join(dir, "runs", "bad"), "--transport", "inproc");
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/skipping checkpoint .*ckpt-00000003: .*learner.bin is corrupted/);
  expect(r.out).toMatch(/at step 2 of 5/);
});

test("resuming a folder without checkpoints is refused with one line", () => {
  expect(cli("simulate", ...RUN, "--checkpoint-every", "0", "--run", "nock", "--stop-after", "1").code).toBe(0);
  const r = cli("simulate", "--resume", join(dir, "runs", "nock"));
  expect(r.code).toBe(2);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).toMatch(/no good checkpoint/);
});
