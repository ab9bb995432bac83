// The difficulty probe over a real run of the default model with two checkpoints: one row per
// checkpoint and step 0, rates in [0, 1], cached on rerun, and the same rows when recomputed.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probePassages, type ProbeRow } from "../../src/eval/probe.ts";

setDefaultTimeout(240_000);

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
let dir = "";
let run = "";

const cli = (...args: string[]) => {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
};
const probe = (...extra: string[]) => cli("probe", run, "--passages", "4", "--samples", "2", "--json", ...extra);
const rowsOf = (out: string) => (JSON.parse(out.trim().split("\n").at(-1)!) as { rows: ProbeRow[] }).rows;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "probe-"));
  const t = cli("train", "--model", "fixtures/default-model", "--steps", "2", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--checkpoint-every", "1", "--runs-dir", dir);
  if (t.code !== 0) throw new Error(`train failed: ${t.err}`);
  run = join(dir, readdirSync(dir)[0]!);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("probe.jsonl gets a settings header and a row for step 0 and each checkpoint; a rerun is cached and a fresh one gives the same rows", () => {
  expect(readdirSync(join(run, "checkpoints")).sort()).toEqual(["ckpt-00000001", "ckpt-00000002"]);
  const first = probe();
  expect(first.code, first.err).toBe(0);
  const rows = rowsOf(first.out);
  expect(rows.map((r) => r.step)).toEqual([0, 1, 2]);
  for (const r of rows) {
    for (const k of ["probeBaseSolveRate", "probeSolveRate"] as const) {
      if (r.probeMasks === 0) expect(r[k]).toBeNull();
      else {
        expect(r[k]!).toBeGreaterThanOrEqual(0);
        expect(r[k]!).toBeLessThanOrEqual(1);
      }
    }
    expect(r.probeValidFrac).toBeGreaterThanOrEqual(0);
    expect(r.probeValidFrac).toBeLessThanOrEqual(1);
    expect(r.probeMasks).toBe(Math.round(r.probeValidFrac * 4 * 2));
  }
  // Step 0 is the initial model: it is its own base, so both rates agree.
  expect(rows[0]!.probeSolveRate).toBe(rows[0]!.probeBaseSolveRate);
  const lines = readFileSync(join(run, "probe.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(lines[0]).toHaveProperty("probe.passages", 4);
  expect(lines.slice(1)).toEqual(rows);

  const again = probe();
  expect(again.code, again.err).toBe(0);
  expect(again.err.match(/cached/g)).toHaveLength(3);
  expect(rowsOf(again.out)).toEqual(rows);

  const fresh = probe("--fresh");
  expect(fresh.code, fresh.err).toBe(0);
  expect(fresh.err).not.toMatch(/cached/);
  expect(rowsOf(fresh.out)).toEqual(rows);

  // Other settings are another probe: recomputed, and they replace the cache.
  const other = probe("--seed", "3");
  expect(other.code, other.err).toBe(0);
  expect(other.err).not.toMatch(/cached/);
  expect(JSON.parse(readFileSync(join(run, "probe.jsonl"), "utf8").split("\n")[0]!)).toHaveProperty("probe.seed", 3);
});

test("a run without checkpoints is probed at step 0 only, with a warning", () => {
  const bare = join(dir, "bare");
  mkdirSync(bare);
  copyFileSync(join(run, "config.json"), join(bare, "config.json"));
  // The saved model path is relative to the run folder; both folders sit side by side under dir.
  const r = cli("probe", bare, "--passages", "2", "--samples", "1", "--json");
  expect(r.code, r.err).toBe(0);
  expect(r.err).toMatch(/warning: run .* has no checkpoint; probing only its initial model \(step 0\)/);
  expect(rowsOf(r.out).map((x) => x.step)).toEqual([0]);
});

test("runs the probe cannot read are refused in one line", () => {
  const sim = mkdtempSync(join(tmpdir(), "probe-sim-"));
  try {
    expect(cli("simulate", "--steps", "1", "--passages", "2", "--runs-dir", sim).code).toBe(0);
    const simRun = join(sim, readdirSync(sim)[0]!);
    const r = cli("probe", simRun);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/trained the simulator, not a model; accepted: runs of train with --backend model/);

    const azr = join(sim, "azr");
    mkdirSync(azr);
    const saved = JSON.parse(readFileSync(join(run, "config.json"), "utf8"));
    saved.config.task = "azr";
    saved.config.model.dir = join(ROOT, "fixtures/default-model");
    writeFileSync(join(azr, "config.json"), JSON.stringify(saved));
    const a = cli("probe", azr);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/is task azr, whose generator writes no masks; accepted tasks: pretrainzero, random-span, next-token, entropy/);

    const none = cli("probe", join(sim, "missing"));
    expect(none.code).toBe(2);
    expect(none.err.trim().split("\n")).toHaveLength(1);
  } finally {
    rmSync(sim, { recursive: true, force: true });
  }
});

test("the probe set is a seeded choice of distinct held-out passages, the same for the same seed", () => {
  const pool = Array.from({ length: 50 }, (_, i) => `passage ${i}`);
  const a = probePassages(pool, 8, 1);
  expect(a).toEqual(probePassages(pool, 8, 1));
  expect(new Set(a).size).toBe(8);
  expect(probePassages(pool, 8, 2)).not.toEqual(a);
  expect(probePassages(pool.slice(0, 3), 8, 1)).toHaveLength(3);
});
