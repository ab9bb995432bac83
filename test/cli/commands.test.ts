// The commands as a user runs them: exit codes, one-line errors, --help, --json, and the
// record -> inspect -> replay round trip.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const SMALL = ["--steps", "4", "--passages", "4", "--gen-samples", "4", "--pred-samples", "4", "--chunk", "2", "--seed", "3"];

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const log = join(dir, "run.spzlog");
let recordRun: ReturnType<typeof cli>;
beforeAll(() => {
  recordRun = cli("simulate", ...SMALL, "--record", log, "--json");
}, 120_000);

test("simulate says it is a simulation, prints a metrics row per step and ends with a JSON summary", () => {
  expect(recordRun.code).toBe(0);
  expect(recordRun.out).toContain("SIMULATION");
  const lines = recordRun.out.trim().split("\n");
  const summary = JSON.parse(lines.at(-1)!);
  expect(summary.simulation).toBe(true);
  expect(summary.steps).toBe(4);
  expect(summary.episodes).toBe(64);
  expect(summary.logRecords).toBeGreaterThan(0);
  expect(lines.filter((l) => /^\s+\d+\s+\d\.\d{3}/.test(l))).toHaveLength(4);
});

test("simulate writes a run folder with its config and one metrics line per step", () => {
  const r = cli("simulate", ...SMALL, "--transport", "inproc", "--run", "metrics-check", "--json");
  expect(r.code).toBe(0);
  const run = JSON.parse(r.out.trim().split("\n").at(-1)!).run as string;
  expect(run).toBe(join(dir, "runs", "metrics-check"));
  const rows = readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(rows.map((x) => x.step)).toEqual([0, 1, 2, 3]);
  expect(typeof rows[0].predAcc).toBe("number");
  expect(JSON.parse(readFileSync(join(run, "config.json"), "utf8")).config.steps).toBe(4);
  // The same name again never overwrites: it gets a suffix.
  const again = cli("simulate", ...SMALL, "--transport", "inproc", "--run", "metrics-check", "--json");
  expect(JSON.parse(again.out.trim().split("\n").at(-1)!).run).toBe(join(dir, "runs", "metrics-check-2"));
});

test("train --backend sim says it is a simulation; train on a folder that is no model is refused", () => {
  const r = cli("train", "--backend", "sim", "--steps", "1", "--passages", "2", "--transport", "inproc");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^SIMULATION/m);
  const bad = cli("train", "--model", dir, "--steps", "1");
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/is not a model folder/);
});

test("replay --verify of an untouched recording passes", () => {
  const r = cli("replay", log, "--verify", "--json");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toMatchObject({ ok: true, divergences: 0 });
});

test("replay --verify with a changed reward design exits 1 and shows the first divergent message", () => {
  const r = cli("replay", log, "--actor", "reward", "--design", "plain", "--verify");
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/first divergence at step \d+: scored/);
  expect(r.out).toMatch(/recorded: 0\n\s+replayed: 1/);
});

test("every command has --help listing its flags", () => {
  for (const c of ["train", "simulate", "replay", "inspect"]) {
    const r = cli(c, "--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("--json");
    expect(r.out).toContain("--config");
  }
  expect(cli("simulate", "--help").out).toContain("--design");
});

test("bad input gets one error line and exit code 2, without a stack trace", () => {
  const cases = [
    cli("simulate", "--stpes", "3"),
    cli("simulate", "--steps", "abc"),
    cli("simulate", "--design", "nonsense"),
    cli("replay", join(dir, "missing.spzlog")),
    cli("frobnicate"),
    cli("simulate", ...SMALL, "--record", log),
  ];
  for (const r of cases) {
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^error: /);
    expect(r.err).not.toContain("    at ");
  }
  expect(cases.at(-1)!.err).toContain("already exists");
});

test("a corrupted or torn log is reported, never accepted", () => {
  const flipped = join(dir, "flipped.spzlog");
  const bytes = readFileSync(log);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
  writeFileSync(flipped, bytes);
  const r1 = cli("replay", flipped, "--verify");
  expect(r1.code).toBe(2);
  expect(r1.err).toMatch(/corrupt record \d+ at byte \d+/);

  const torn = join(dir, "torn.spzlog");
  writeFileSync(torn, readFileSync(log));
  truncateSync(torn, statSync(torn).size - 7);
  const r2 = cli("inspect", torn);
  expect(r2.code).toBe(2);
  expect(r2.err).toMatch(/torn tail at byte \d+ after record \d+/);
  const r3 = cli("inspect", torn, "--repair-torn-tail", "--limit", "0");
  expect(r3.code).toBe(0);
  expect(r3.out).toMatch(/cut \d+ trailing bytes/);
});

test("--debug adds the stack trace", () => {
  const r = cli("replay", join(dir, "missing.spzlog"), "--debug");
  expect(r.code).toBe(2);
  expect(r.err.split("\n").length).toBeGreaterThan(1);
});
