// A step missing or written twice, in an episode log or in metrics.jsonl: checksums cannot see it
// (every frame and line is intact), the step check can. `inspect --list` refuses such a log or run
// (exit 2, naming the steps), `inspect` serves it with a warning, and `report` charts every step
// once with a warning naming the run and the steps, or refuses it with --strict.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportCommand } from "../../src/cli/report.ts";
import { describeStepProblems, EpisodeLogWriter, formatSteps, stepCoverage } from "../../src/protocol/log.ts";
import { messageId } from "../../src/protocol/messages.ts";
import { loadRun } from "../../src/report/metrics.ts";
import { sampleMessages } from "../protocol/sample-messages.ts";
import { readUntil } from "../helpers/streams.ts";

setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-gaps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");

const rec = (step: number, id: string) => ({ step, id: `${step}|${id}` });

test("every step from 0 once: nothing to report", () => {
  const c = stepCoverage([rec(0, "a"), rec(0, "b"), rec(1, "a"), rec(2, "a"), rec(2, "b")]);
  expect(c).toEqual({ from: 0, last: 2, steps: 3, missing: [], duplicated: [], unordered: [] });
  expect(describeStepProblems(c)).toBeNull();
  expect(describeStepProblems(stepCoverage([]))).toBeNull();
});

test("a missing step, at the start or in the middle, is named", () => {
  expect(stepCoverage([rec(0, "a"), rec(1, "a"), rec(3, "a")]).missing).toEqual([2]);
  expect(stepCoverage([rec(2, "a"), rec(3, "a")]).missing).toEqual([0, 1]);
  expect(describeStepProblems(stepCoverage([0, 1, 4, 5, 9].map((s) => ({ step: s }))))).toBe("steps 2-3, 6-8 missing");
});

test("a step written twice: a repeated record, the step's records again after another step, or a repeated metrics row", () => {
  expect(stepCoverage([rec(0, "a"), rec(1, "a"), rec(1, "b"), rec(1, "a"), rec(1, "b"), rec(2, "a")]).duplicated).toEqual([1]);
  expect(stepCoverage([rec(0, "a"), rec(1, "a"), rec(2, "a"), rec(1, "b")]).duplicated).toEqual([1]);
  // Metrics rows have no id: one row per step.
  expect(stepCoverage([0, 1, 1, 2].map((s) => ({ step: s }))).duplicated).toEqual([1]);
  const c = stepCoverage([0, 2, 1, 3, 3].map((s) => ({ step: s })));
  expect(c.unordered).toEqual([1]);
  expect(describeStepProblems(c)).toBe("step 3 written twice; step 1 out of order");
});

test("step lists stay one short line", () => {
  expect(formatSteps([1, 2, 3, 5, 7, 8])).toBe("1-3, 5, 7-8");
  expect(formatSteps(Array.from({ length: 40 }, (_, i) => i * 2), 3)).toBe("0, 2, 4 and 37 more ranges");
});

function run(name: string, steps: number[], record?: string): string {
  const d = join(dir, "runs", name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "config.json"), JSON.stringify({ command: "simulate", ...(record ? { record } : {}), config: { seed: 1 } }));
  writeFileSync(join(d, "metrics.jsonl"), steps.map((s, i) => `${JSON.stringify({ step: s, genReward: i / 10 })}\n`).join(""));
  return d;
}

test("report: a gap or duplicate is a warning naming the run's file and steps; each step is charted once, the last row winning", () => {
  const r = loadRun(run("dups", [0, 1, 2, 2, 4]));
  expect(r.stepProblems).toBe("step 3 missing; step 2 written twice");
  expect(r.warnings.some((w) => w.includes("dups/metrics.jsonl: step 3 missing; step 2 written twice"))).toBe(true);
  expect(r.rows.map((x) => x.step)).toEqual([0, 1, 2, 4]);
  expect(r.rows[2]!.values.genReward).toBe(0.3);
  const clean = loadRun(run("clean", [0, 1, 2]));
  expect(clean.stepProblems).toBeNull();
  expect(clean.warnings).toEqual([]);
});

test("report --strict refuses a run with a missing step (exit 2, one line naming run and steps) and writes nothing", async () => {
  run("gap", [0, 2]);
  const errors: string[] = [];
  const io = { out: () => {}, err: (l: string) => errors.push(l) };
  const out = join(dir, "strict.html");
  const code = await reportCommand.main(["gap", "--runs-dir", join(dir, "runs"), "--strict", "--out", out], io);
  expect(code).toBe(2);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^error: run gap \(.*gap\): step 1 missing in metrics\.jsonl \(--strict\)/);
  expect(existsSync(out)).toBe(false);
});

function log(name: string, steps: number[]): string {
  const file = join(dir, name);
  const w = EpisodeLogWriter.create(file, { command: "simulate", config: { seed: 1 } });
  for (const step of steps) {
    const msg = { ...sampleMessages(step)["policy.version"], step };
    w.append([{ step, from: "learner", to: "generator", id: messageId(step, "learner", "policy.version", "v"), msg }]);
  }
  w.close();
  return file;
}

function cli(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

test("inspect --list: a clean log says every step is there once; a gap is listed, then refused with the steps named", () => {
  const ok = cli("inspect", log("ok.spzlog", [0, 1, 2]), "--list", "--limit", "0");
  expect(ok.code).toBe(0);
  expect(ok.out).toContain("steps 0-2 each once");
  const gap = cli("inspect", log("gap.spzlog", [0, 1, 3, 4, 6]), "--list", "--json");
  expect(gap.code).toBe(2);
  expect(gap.out).toMatch(/gap\.spzlog: 5 records, 5 steps/);
  expect(gap.err.trim()).toMatch(/^error: episode log .*gap\.spzlog: steps 2, 5 missing; accepted: every step from 0 on, each written once/);
  expect(JSON.parse(gap.out.trim().split("\n").at(-1)!)).toMatchObject({ ok: false, exitCode: 2 });
  const dup = cli("inspect", log("dup.spzlog", [0, 1, 1, 2]), "--list", "--limit", "0");
  expect(dup.code).toBe(2);
  expect(dup.err).toMatch(/step 1 written twice/);
});

test("inspect RUN --list checks the run's metrics.jsonl too", () => {
  run("metrics-gap", [0, 2], join(dir, "ok.spzlog"));
  const r = cli("inspect", "metrics-gap", "--list", "--limit", "0");
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^error: .*metrics-gap\/metrics\.jsonl: step 1 missing/);
});

test("inspect (serving) warns about a gap but serves the log", async () => {
  const p = Bun.spawn(["bun", MAIN, "inspect", join(dir, "gap.spzlog"), "--port", "0", "--json"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  try {
    const out = await readUntil(p.stdout, '"ok":true');
    const summary = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(summary.stepProblems).toEqual([expect.stringMatching(/steps 2, 5 missing/)]);
  } finally {
    p.kill("SIGINT");
    await p.exited;
  }
  const err = await new Response(p.stderr).text();
  expect(err).toMatch(/^warning: episode log .*gap\.spzlog: steps 2, 5 missing/);
});
