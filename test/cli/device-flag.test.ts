// --device on every command that runs a model outside train (eval, score, lm-pretrain, probe): the flag
// parses like train's, cpu runs, and cuda on a machine without it is train's one-line error with
// exit 2, never a silent run on the CPU.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cudaUnavailableReason } from "../../src/engine/session.ts";

setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-device-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const LLAMA = join(import.meta.dir, "../../fixtures/tiny-llama");
const NO_CUDA = cudaUnavailableReason();
if (NO_CUDA === undefined) console.log("skip (test/cli/device-flag.test.ts: cuda refused): this machine has CUDA");

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir, env: { ...process.env, SPZ_CACHE_DIR: join(dir, "cache") } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const COMMANDS: Record<string, string[]> = {
  eval: ["eval", "--model", LLAMA, "--limit", "2"],
  score: ["score", "--model", LLAMA, "--ids", "1,2,3", "--no-full"],
  probe: ["probe", join(dir, "runs", "r"), "--passages", "2", "--samples", "1"],
  "lm-pretrain": ["lm-pretrain", "--out", join(dir, "pretrained"), "--steps", "1", "--hidden", "16", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--intermediate", "32", "--vocab", "300"],
};

beforeAll(() => {
  // A model run for probe (a mask task with a checkpoint).
  const train = cli("train", "--model", LLAMA, "--steps", "1", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--transport", "inproc", "--run", "r", "--checkpoint-every", "1");
  expect(train.code).toBe(0);
});

test("eval, score, probe and lm-pretrain document --device with train's values", () => {
  for (const name of Object.keys(COMMANDS)) {
    const help = cli(name, "--help").out;
    expect({ name, has: help.includes("--device <cpu|cuda>") }).toEqual({ name, has: true });
  }
});

test.skipIf(NO_CUDA === undefined)("--device cuda without CUDA is train's one-line error, exit 2, before anything is written", () => {
  for (const [name, args] of Object.entries(COMMANDS)) {
    const r = cli(...args, "--device", "cuda");
    expect({ name, code: r.code }).toEqual({ name, code: 2 });
    expect(r.err.trim()).toBe(`error: --device cuda: ${NO_CUDA}`);
    expect(r.out).toBe("");
  }
  expect(existsSync(join(dir, "pretrained"))).toBe(false);
});

test("a device that is not cpu or cuda is a usage error naming the accepted values", () => {
  for (const [name, args] of Object.entries(COMMANDS)) {
    const r = cli(...args, "--device", "gpu");
    expect({ name, code: r.code }).toEqual({ name, code: 2 });
    expect(r.err.trim()).toBe('error: --device must be one of cpu, cuda, got "gpu"');
  }
});

test("--device cpu scores as without the flag", () => {
  const a = cli(...COMMANDS.score!);
  const b = cli(...COMMANDS.score!, "--device", "cpu");
  expect(a.code).toBe(0);
  expect(b.out).toBe(a.out);
});
