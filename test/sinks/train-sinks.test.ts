// The sinks end to end: a run with --report-to tensorboard, --log-completions and --eval-every
// against the same run without them. The episode log and metrics.jsonl (wall aside) must not change
// by a byte; the event files must hold metrics.jsonl's numbers; a resume must leave every step once.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCharts } from "../../src/report/charts.ts";
import { loadRun } from "../../src/report/metrics.ts";
import { scalarsByStep } from "./tf-event-reader.ts";

setDefaultTimeout(60_000);

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "spz-sinks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(["bun", MAIN, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, out, err };
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`${args.join(" ")} exited ${r.code}: ${r.err.trim().split("\n").at(-1)}`);
  return r.out;
}

const rows = (folder: string, file = "metrics.jsonl") =>
  existsSync(join(folder, file))
    ? readFileSync(join(folder, file), "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
const withoutWall = (rs: Record<string, unknown>[]) => rs.map(({ wall: _w, ...r }) => r);

/** Every numeric field of every metrics row is the step's train/<field> (or wall/<field>) scalar, as a float32. */
function expectEventsMatchMetrics(folder: string): void {
  const tb = scalarsByStep(join(folder, "tensorboard"));
  const metrics = rows(folder);
  for (const r of metrics) {
    const got = tb.get(r.step as number)!;
    expect(got).toBeDefined();
    let n = 0;
    for (const [k, v] of Object.entries(r)) {
      if (k === "step" || k === "version" || typeof v !== "number") continue;
      expect({ k, v: got.get(`train/${k}`) }).toEqual({ k, v: Math.fround(v) });
      n++;
    }
    for (const [k, v] of Object.entries(r.wall as Record<string, number>)) expect(got.get(`wall/${k}`)).toBe(Math.fround(v));
    expect([...got.keys()].filter((t) => t.startsWith("train/"))).toHaveLength(n);
  }
  expect(metrics.length).toBeGreaterThan(0);
}

const TINY = ["train", "--model", "fixtures/tiny-llama", "--steps", "4", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--checkpoint-every", "0", "--runs-dir", join(dir, "runs")];
const SINKS = ["--report-to", "tensorboard", "--log-completions", "3", "--eval-every", "2", "--eval-passages", "8"];

test("a model run with every sink writes the same episode log and metrics as without, event files that hold those metrics, completions and held-out metrics", async () => {
  const [, out] = await Promise.all([
    ok([...TINY, "--run", "plain", "--record", join(dir, "plain.spzlog")]),
    ok([...TINY, ...SINKS, "--run", "sinks", "--record", join(dir, "sinks.spzlog")]),
  ]);
  const plain = join(dir, "runs/plain");
  const sinks = join(dir, "runs/sinks");
  expect(readFileSync(join(dir, "sinks.spzlog")).equals(readFileSync(join(dir, "plain.spzlog")))).toBe(true);
  expect(withoutWall(rows(sinks))).toEqual(withoutWall(rows(plain)));
  expectEventsMatchMetrics(sinks);

  // Checkpoints at the eval steps although --checkpoint-every is 0 (the last one every model run writes).
  expect(readdirSync(join(sinks, "checkpoints")).sort()).toEqual(["ckpt-00000002", "ckpt-00000004"]);
  expect(readdirSync(join(plain, "checkpoints")).sort()).toEqual(["ckpt-00000004"]);
  const evals = rows(sinks, "eval.jsonl");
  expect(evals.map((r) => r.step)).toEqual([0, 2, 4]);
  for (const r of evals) {
    expect(r.evalMasks).toBe(8);
    expect(r.evalMaskAcc as number).toBeGreaterThanOrEqual(0);
    expect(r.evalNll as number).toBeGreaterThan(0);
  }
  const tb = scalarsByStep(join(sinks, "tensorboard"));
  for (const r of evals) expect(tb.get(r.step as number)!.get("eval/nll")).toBe(Math.fround(r.evalNll as number));
  expect(out).toContain("eval step 4: held-out mask_acc");

  const completions = rows(sinks, "completions.jsonl");
  for (let s = 0; s < 4; s++) expect(completions.filter((c) => c.step === s)).toHaveLength(3);
  for (const c of completions) expect(typeof c.prompt === "string" && typeof c.completion === "string" && typeof c.reward === "number").toBe(true);

  // The report charts the held-out curve and the sampling statistics of a fresh model run.
  const charts = buildCharts([loadRun(sinks)]);
  for (const id of ["eval-acc", "eval-nll", "entropy", "trunc", "response-len"]) expect({ id, series: charts.find((c) => c.id === id)!.series.length > 0 }).toEqual({ id, series: true });
});

test("the held-out row of the last step is what bun run eval gives for the run's newest checkpoint", async () => {
  const out = await ok(["eval", join(dir, "runs/sinks"), "--limit", "8", "--json"]);
  const r = (JSON.parse(out.trim().split("\n").at(-1)!) as { results: { step: number; masks: number; maskAccuracy: number; nll: number }[] }).results[0]!;
  const last = rows(join(dir, "runs/sinks"), "eval.jsonl").at(-1)!;
  expect(r.step).toBe(4);
  expect(last.step).toBe(4);
  expect(last.evalMasks).toBe(r.masks);
  expect(last.evalMaskAcc).toBe(r.maskAccuracy);
  expect(last.evalNll as number).toBeCloseTo(r.nll, 9);
});

test("a simulator run stopped and resumed leaves every step once in its event files and completions, with metrics.jsonl's numbers", async () => {
  const sim = ["simulate", "--steps", "4", "--passages", "4", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--checkpoint-every", "1", "--runs-dir", join(dir, "runs"), "--run", "sim", "--report-to", "tensorboard", "--log-completions", "2"];
  await ok([...sim, "--stop-after", "3"]);
  const folder = join(dir, "runs/sim");
  // As a crash would leave it: checkpoint 3 is gone, so the resume redoes step 2 (its row, events and completions are cut first).
  rmSync(join(folder, "checkpoints/ckpt-00000003"), { recursive: true });
  await ok(["simulate", "--resume", folder, "--report-to", "tensorboard", "--log-completions", "2"]);
  expect(rows(folder).map((r) => r.step)).toEqual([0, 1, 2, 3]);
  expect(readdirSync(join(folder, "tensorboard")).filter((n) => n.includes("tfevents"))).toHaveLength(2);
  expectEventsMatchMetrics(folder); // scalarsByStep throws on a (step, tag) written twice
  expect(rows(folder, "completions.jsonl").map((c) => c.step)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  const charts = buildCharts([loadRun(folder)]);
  for (const id of ["entropy", "trunc"]) expect({ id, series: charts.find((c) => c.id === id)!.series.length > 0 }).toEqual({ id, series: true });
});

test("held-out evals of a stopped and resumed model run: every eval step once, the cut ones made again", async () => {
  const args = [...TINY, "--run", "evres", "--eval-every", "2", "--eval-passages", "4", "--report-to", "tensorboard"];
  await ok([...args, "--stop-after", "2"]);
  const folder = join(dir, "runs/evres");
  expect(rows(folder, "eval.jsonl").map((r) => r.step)).toEqual([0, 2]);
  // A row past the checkpoint the resume starts from (as if written before a crash) is cut and made again.
  appendFileSync(join(folder, "eval.jsonl"), `${JSON.stringify({ step: 4, evalMaskAcc: 1, evalNll: 1, evalMasks: 4 })}\n`);
  const out = await ok(["train", "--resume", folder, "--eval-every", "2", "--eval-passages", "4", "--report-to", "tensorboard"]);
  const evals = rows(folder, "eval.jsonl");
  expect(evals.map((r) => r.step)).toEqual([0, 2, 4]);
  expect(evals[2]!.evalMaskAcc).not.toBe(1);
  expect(out).toContain("eval step 4:");
  expect(out).not.toContain("eval step 0:");
  const tb = scalarsByStep(join(folder, "tensorboard")); // throws on an event written twice
  expect([0, 2, 4].map((s) => tb.get(s)!.get("eval/nll"))).toEqual(evals.map((r) => Math.fround(r.evalNll as number)));
});

test("--keep-checkpoints spares a checkpoint until its background eval has read it, then prunes it", async () => {
  await ok([...TINY, "--run", "keep", "--eval-every", "1", "--eval-passages", "2", "--keep-checkpoints", "1"]);
  const folder = join(dir, "runs/keep");
  expect(rows(folder, "eval.jsonl").map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
  expect(readdirSync(join(folder, "checkpoints"))).toEqual(["ckpt-00000004"]);
});

test("flags a run cannot honour are refused before a run folder is made", async () => {
  const sim = ["simulate", "--steps", "2", "--runs-dir", join(dir, "runs")];
  const a = await cli([...sim, "--run", "refused-a", "--eval-every", "2"]);
  expect(a.code).toBe(2);
  expect(a.err).toContain("--eval-every 2: the simulator has no language model to evaluate");
  const b = await cli([...sim, "--run", "refused-b", "--report-to", "tensorboard,wandb"]);
  expect(b.code).toBe(2);
  expect(b.err).toContain('unknown tracker "wandb"; accepted: tensorboard, all, none');
  expect(existsSync(join(dir, "runs/refused-a")) || existsSync(join(dir, "runs/refused-b"))).toBe(false);
});
