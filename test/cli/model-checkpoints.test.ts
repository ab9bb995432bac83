// A model run's checkpoints: the learner's parameters and Adam state as safetensors files beside
// its bookkeeping, handed from the learner's worker to the hub without one buffer of the whole
// state; --keep-checkpoints keeps the newest N; a stopped run resumes from them exactly.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(180_000);

const dir = mkdtempSync(join(tmpdir(), "spz-model-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
// The worker transport: states cross from the learner's worker to the hub and back on resume. RLP
// trains at every step (its reward is continuous) and keeps a moving average of the weights.
const RUN = ["train", "--task", "rlp", "--steps", "4", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--seed", "3", "--gen-tokens", "8", "--pred-tokens", "6", "--transport", "worker", "--checkpoint-every", "1"];

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
const digests = (run: string) =>
  readFileSync(join(dir, "runs", run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { digest: string }).digest);
const checkpoints = (run: string) => readdirSync(join(dir, "runs", run, "checkpoints")).sort();

test("--keep-checkpoints 2 keeps the newest two; a run stopped and resumed from them equals an uninterrupted one", () => {
  const whole = cli(...RUN, "--run", "whole");
  expect(whole.code).toBe(0);
  expect(new Set(digests("whole")).size).toBe(4); // the policy changed at every step
  expect(checkpoints("whole")).toEqual(["ckpt-00000001", "ckpt-00000002", "ckpt-00000003", "ckpt-00000004"]);
  const ck = join(dir, "runs", "whole", "checkpoints", "ckpt-00000004");
  expect(readdirSync(join(ck, "learner")).sort()).toEqual(["adam_m.safetensors", "adam_v.safetensors", "ema.safetensors", "params.safetensors", "state.msgpack"]);
  // The parameters file is a plain safetensors file under the model's own (Hugging Face) tensor names.
  const head = readFileSync(join(ck, "learner", "params.safetensors"));
  const names = Object.keys(JSON.parse(head.subarray(8, 8 + Number(head.readBigUInt64LE(0))).toString()));
  expect(names).toContain("model.embed_tokens.weight");

  expect(cli(...RUN, "--run", "split", "--keep-checkpoints", "2", "--stop-after", "2").code).toBe(0);
  expect(checkpoints("split")).toEqual(["ckpt-00000001", "ckpt-00000002"]);
  const r = cli("train", "--resume", join(dir, "runs", "split"), "--transport", "worker");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/resuming .* at step 2 of 4/);
  expect(checkpoints("split")).toEqual(["ckpt-00000003", "ckpt-00000004"]);
  expect(digests("split")).toEqual(digests("whole"));
});

test("a checkpoint with a corrupted parameter file is skipped by name and the run resumes from the one before", () => {
  expect(cli(...RUN, "--run", "bad", "--stop-after", "2").code).toBe(0);
  const f = join(dir, "runs", "bad", "checkpoints", "ckpt-00000002", "learner", "adam_v.safetensors");
  const bytes = readFileSync(f);
  bytes[bytes.length - 1]! ^= 0x40;
  writeFileSync(f, bytes);
  const r = cli("train", "--resume", join(dir, "runs", "bad"), "--transport", "inproc");
  expect(r.err).toMatch(/skipping checkpoint .*ckpt-00000002: .*learner\/adam_v.safetensors is corrupted/);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/at step 1 of 4/);
  expect(digests("bad")).toEqual(digests("whole"));
});
