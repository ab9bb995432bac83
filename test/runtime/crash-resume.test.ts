// Crash-safe resume, proven by fault injection: the whole process is killed with SIGKILL (at seeded
// random times, and at the exact moments around a checkpoint commit and before the first one), then
// `--resume runs/<name>` finishes it. The finished run must equal an uninterrupted one: the same
// metrics rows (apart from `wall`), the same episode-log bytes and the same final checkpoint. On the
// simulator, the default model, and Absolute Zero (two stateful actors) on the tiny fixture.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

setDefaultTimeout(240_000);

const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "spz-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  command: string[];
  steps: number;
  randomTrials: number;
  exactPoints: string[];
}

const SIM: Case = {
  name: "simulator",
  command: ["simulate", "--steps", "12", "--passages", "4", "--gen-samples", "4", "--pred-samples", "4", "--chunk", "2", "--seed", "3", "--checkpoint-every", "1"],
  steps: 12,
  randomTrials: 20,
  // Before the first checkpoint (step 0's row), around checkpoint commits, and at the last step.
  exactPoints: ["metrics:0", "checkpoint:1:before", "checkpoint:1:after", "metrics:5", "checkpoint:6:before", "checkpoint:6:after", "checkpoint:12:before", "checkpoint:12:after"],
};

const MODEL: Case = {
  name: "default model",
  command: ["train", "--steps", "4", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--seed", "4", "--checkpoint-every", "1", "--gen-tokens", "8", "--pred-tokens", "6"],
  steps: 4,
  randomTrials: 3,
  exactPoints: ["metrics:0", "checkpoint:2:before", "checkpoint:2:after"],
};

// Two stateful actors (the proposer's task buffers and the learner), committed as one checkpoint.
const AZR: Case = {
  name: "Absolute Zero on the tiny fixture",
  command: ["train", "--model", join(import.meta.dir, "../../fixtures/tiny-llama"), "--task", "azr", "--steps", "3", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--seed", "2", "--checkpoint-every", "1"],
  steps: 3,
  randomTrials: 2,
  exactPoints: ["checkpoint:1:before", "checkpoint:1:after", "checkpoint:3:before"],
};

/** Philox-free, tiny and seeded: the kill times only need to be reproducible, not good randomness. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function cli(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir, env: { ...process.env, ...env } });
  return { code: p.exitCode, signal: p.signalCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** Starts a run and kills it after `ms` (or when it ends first). Returns whether it was killed. */
async function killAfter(args: string[], ms: number): Promise<boolean> {
  const p = Bun.spawn(["bun", MAIN, ...args], { stdout: "ignore", stderr: "ignore", cwd: dir });
  const timer = setTimeout(() => p.kill("SIGKILL"), ms);
  await p.exited;
  clearTimeout(timer);
  return p.signalCode === "SIGKILL";
}

const rows = (run: string) =>
  readFileSync(join(dir, "runs", run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => {
    const { wall: _w, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });

/** The newest checkpoint's name and every file in it. */
function finalCheckpoint(run: string): Buffer {
  const root = join(dir, "runs", run, "checkpoints");
  const last = readdirSync(root).filter((n) => /^ckpt-\d{8}$/.test(n)).sort().at(-1)!;
  // Every file, in subfolders too (a model learner's state is learner/*.safetensors and learner/state.msgpack).
  const files = (readdirSync(join(root, last), { recursive: true }) as string[]).filter((f) => statSync(join(root, last, f)).isFile()).sort();
  return Buffer.concat([Buffer.from(`${last}\0${files.join("\0")}\0`), ...files.map((f) => readFileSync(join(root, last, f)))]);
}

interface Outcome {
  trial: string;
  identical: boolean;
  lostSteps: number[];
  duplicatedSteps: number[];
}

function compare(c: Case, ref: string, run: string, trial: string): Outcome {
  const got = rows(run);
  const steps = got.map((r) => r.step as number);
  const lostSteps = Array.from({ length: c.steps }, (_, i) => i).filter((s) => !steps.includes(s));
  const duplicatedSteps = steps.filter((s, i) => steps.indexOf(s) !== i);
  const sameRows = JSON.stringify(got) === JSON.stringify(rows(ref));
  const sameLog = readFileSync(join(dir, `${run}.spzlog`)).equals(readFileSync(join(dir, `${ref}.spzlog`)));
  const sameCkpt = finalCheckpoint(run).equals(finalCheckpoint(ref));
  return { trial, identical: sameRows && sameLog && sameCkpt, lostSteps, duplicatedSteps };
}

/** Resumes until the run is complete (a kill before the run folder exists just reruns). */
function resume(c: Case, run: string, transport: string): void {
  if (!existsSync(join(dir, "runs", run, "config.json"))) {
    rmSync(join(dir, `${run}.spzlog`), { force: true });
    rmSync(join(dir, `${run}.spzlog.run.json`), { force: true });
    rmSync(join(dir, "runs", run), { recursive: true, force: true });
    const r = cli([...c.command, "--run", run, "--record", `${run}.spzlog`, "--transport", transport]);
    expect(r.code).toBe(0);
    return;
  }
  const r = cli([c.command[0]!, "--resume", join("runs", run), "--transport", transport]);
  if (r.code !== 0) throw new Error(`resume of ${run} failed (${r.code}): ${r.err}`);
}

for (const c of [SIM, MODEL, AZR]) {
  describe(`SIGKILL and --resume on the ${c.name}`, () => {
    const ref = `${c.name.replace(/\W/g, "")}-ref`;
    const outcomes: Outcome[] = [];
    beforeAll(() => {
      const r = cli([...c.command, "--run", ref, "--record", `${ref}.spzlog`, "--transport", "inproc"]);
      expect(r.code).toBe(0);
    });
    afterAll(() => {
      const same = outcomes.filter((o) => o.identical).length;
      const lost = outcomes.reduce((n, o) => n + o.lostSteps.length, 0);
      console.log(`crash-resume ${c.name}: ${outcomes.length} trials, ${same} identical to the uninterrupted run, ${lost} steps lost`);
    });

    test.each(c.exactPoints)("killed at %s, then resumed: equal to the uninterrupted run", (point) => {
      const run = `${ref}-${point.replace(/:/g, "-")}`;
      const r = cli([...c.command, "--run", run, "--record", `${run}.spzlog`, "--transport", "inproc"], { SPZ_KILL_AT: point });
      expect(r.signal).toBe("SIGKILL");
      resume(c, run, "inproc");
      const o = compare(c, ref, run, point);
      outcomes.push(o);
      expect(o).toEqual({ trial: point, identical: true, lostSteps: [], duplicatedSteps: [] });
    });

    test(`${c.randomTrials} kills at seeded random times, over both transports`, async () => {
      const rand = lcg(c.steps * 7919 + c.randomTrials);
      // One uninterrupted run's wall time bounds the kill times.
      const t0 = performance.now();
      const probe = `${ref}-timing`;
      expect(cli([...c.command, "--run", probe, "--transport", "inproc"]).code).toBe(0);
      const wallMs = performance.now() - t0;
      for (let k = 0; k < c.randomTrials; k++) {
        const transport = k % 2 === 0 ? "inproc" : "worker";
        const run = `${ref}-r${k}`;
        const ms = Math.round(150 + rand() * wallMs);
        const killed = await killAfter([...c.command, "--run", run, "--record", `${run}.spzlog`, "--transport", transport], ms);
        if (killed) resume(c, run, transport);
        const o = compare(c, ref, run, `${transport} +${ms} ms${killed ? "" : " (finished first)"}`);
        outcomes.push(o);
        expect(o).toMatchObject({ identical: true, lostSteps: [], duplicatedSteps: [] });
      }
    });
  });
}
