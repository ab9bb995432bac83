import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evalMaskSet } from "../../src/eval/pretrainzero-eval.ts";
import { factbookPassages } from "../../src/data/factbook.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-eval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const LLAMA = join(import.meta.dir, "../../fixtures/tiny-llama");

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

test("the mask set is fixed by the passages and the seed", () => {
  const ps = factbookPassages().slice(0, 30);
  const a = evalMaskSet(ps, 3);
  expect(evalMaskSet(ps, 3)).toEqual(a);
  expect(evalMaskSet(ps, 4)).not.toEqual(a);
  for (const m of a) expect(m.masked).toContain("[mask]");
});

test("eval scores a base model and a trained run in one table, and caches the run's result", () => {
  const train = cli("train", "--model", LLAMA, "--steps", "2", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--transport", "inproc", "--run", "r", "--checkpoint-every", "1");
  expect(train.code).toBe(0);
  const r = cli("eval", join(dir, "runs", "r"), "--model", LLAMA, "--limit", "6", "--json");
  expect(r.code).toBe(0);
  const out = JSON.parse(r.out.trim().split("\n").at(-1)!);
  expect(out.results).toHaveLength(2);
  expect(out.results[1].step).toBe(2);
  for (const x of out.results) {
    expect(x.masks).toBe(6);
    expect(x.nll).toBeGreaterThan(0);
  }
  expect(existsSync(join(dir, "runs", "r", "eval-2.json"))).toBe(true);
});

test("eval refuses a simulator run with one line", () => {
  expect(cli("simulate", "--steps", "1", "--passages", "2", "--transport", "inproc", "--run", "s").code).toBe(0);
  const r = cli("eval", join(dir, "runs", "s"));
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/trained the simulator/);
});
