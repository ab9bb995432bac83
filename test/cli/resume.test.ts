// An interrupted run resumed from its checkpoint continues exactly as if it had never stopped:
// same parameter digests at every step, same metrics, same episode log bytes.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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

test("a run stopped before its first checkpoint restarts at step 0 in its folder and equals an uninterrupted one", () => {
  expect(cli("simulate", ...RUN, "--checkpoint-every", "0", "--run", "nock", "--record", join(dir, "nock.spzlog"), "--stop-after", "1").code).toBe(0);
  const r = cli("simulate", "--resume", join(dir, "runs", "nock"), "--transport", "inproc");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/no checkpoint was written yet, so it restarts at step 0 of 5/);
  expect(metrics("nock")).toEqual(metrics("whole"));
  expect(readFileSync(join(dir, "nock.spzlog")).equals(readFileSync(join(dir, "whole.spzlog")))).toBe(true);
});

test("an Absolute Zero run resumes from the checkpoint it stopped at, proposer buffers included, and equals an uninterrupted one", () => {
  const AZR = ["train", "--model", join(import.meta.dir, "../../fixtures/tiny-llama"), "--task", "azr", "--steps", "3", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--transport", "inproc", "--checkpoint-every", "1"];
  expect(cli(...AZR, "--run", "azr-whole", "--record", join(dir, "azr-whole.spzlog")).code).toBe(0);
  expect(cli(...AZR, "--run", "azr-split", "--record", join(dir, "azr-split.spzlog"), "--stop-after", "2").code).toBe(0);
  // The stop-after and final checkpoints hold the proposer's task buffers next to the learner's state:
  // its bookkeeping, and its parameters and Adam moments as safetensors files.
  for (const [run, step] of [["azr-split", 2], ["azr-whole", 3]] as const) {
    const ck = join(dir, "runs", run, "checkpoints", `ckpt-${String(step).padStart(8, "0")}`);
    expect(readdirSync(ck).sort()).toEqual(["generator.bin", "learner", "manifest.json"]);
    expect(readdirSync(join(ck, "learner")).sort()).toEqual(["adam_m.safetensors", "adam_v.safetensors", "params.safetensors", "state.msgpack"]);
  }
  const r = cli("train", "--resume", join(dir, "runs", "azr-split"), "--transport", "inproc");
  expect(r.code).toBe(0);
  expect(r.err).not.toMatch(/skipping checkpoint/);
  expect(r.out).toMatch(/at step 2 of 3/);
  expect(metrics("azr-split")).toEqual(metrics("azr-whole"));
  expect(readFileSync(join(dir, "azr-split.spzlog")).equals(readFileSync(join(dir, "azr-whole.spzlog")))).toBe(true);
  const final = (run: string) => readFileSync(join(dir, "runs", run, "checkpoints", "ckpt-00000003", "generator.bin"));
  expect(final("azr-split").equals(final("azr-whole"))).toBe(true);
});

test("an RLP run resumes with its moving average of the weights and equals an uninterrupted one", () => {
  // The EMA baseline scores every step's rewards: a resume that lost it would change them at once.
  const RLP = ["train", "--model", join(import.meta.dir, "../../fixtures/tiny-llama"), "--task", "rlp", "--steps", "3", "--passages", "2", "--pred-samples", "2", "--rlp-ema-decay", "0.5", "--transport", "inproc", "--checkpoint-every", "1"];
  expect(cli(...RLP, "--run", "rlp-whole", "--record", join(dir, "rlp-whole.spzlog")).code).toBe(0);
  expect(cli(...RLP, "--run", "rlp-split", "--record", join(dir, "rlp-split.spzlog"), "--stop-after", "2").code).toBe(0);
  const r = cli("train", "--resume", join(dir, "runs", "rlp-split"), "--transport", "inproc");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/at step 2 of 3/);
  expect(metrics("rlp-split")).toEqual(metrics("rlp-whole"));
  expect(readFileSync(join(dir, "rlp-split.spzlog")).equals(readFileSync(join(dir, "rlp-whole.spzlog")))).toBe(true);
});

/** Every file of a run folder and its log, to show that a refused resume changed nothing. */
function snapshot(run: string, log: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(join(dir, "runs", run));
  if (existsSync(log)) out[log] = createHash("sha256").update(readFileSync(log)).digest("hex");
  return out;
}

describe("a refused resume changes nothing", () => {
  const log = join(dir, "held.spzlog");
  beforeAll(() => {
    expect(cli("simulate", ...RUN, "--run", "held", "--record", log, "--stop-after", "3").code).toBe(0);
    // What a crash after checkpoint 3 leaves: a row and records of step 3 that resume would cut.
    appendFileSync(join(dir, "runs", "held", "metrics.jsonl"), '{"step":3,"partial":true}\n');
  });
  const cases: [string, string[], RegExp, (() => () => void)?][] = [
    ["--record", ["--record", join(dir, "other.spzlog")], /--record .* conflicts with the resumed run/],
    ["--seed", ["--seed", "99"], /--seed 99 conflicts with the resumed run \(the run has 5\); a resume may change only --steps, --checkpoint-every/],
    ["--corpus", ["--corpus", "bogus"], /--corpus "bogus" conflicts with the resumed run \(the run has "factbook"\)/],
    ["--design", ["--design", "plain"], /--design "plain" conflicts with the resumed run/],
    ["--steps at or below the steps done", ["--steps", "2"], /--steps 2: the run already has 3 steps done/],
    ["--run", ["--run", "x"], /--run "x" conflicts with the resumed run/],
    ["a missing episode log", [], /episode log .*held\.spzlog is missing/, () => {
      renameSync(log, `${log}.away`);
      return () => renameSync(`${log}.away`, log);
    }],
    ["a corrupted record before the checkpoint", [], /corrupt record \d+ at byte \d+ of .*held\.spzlog/, () => {
      const bytes = readFileSync(log);
      const orig = Buffer.from(bytes);
      bytes[200] ^= 0xff;
      writeFileSync(log, bytes);
      return () => writeFileSync(log, orig);
    }],
    ["a garbled metrics row before the checkpoint", [], /metrics\.jsonl line 2 is not JSON; resuming would lose step 1's metrics/, () => {
      const p = join(dir, "runs", "held", "metrics.jsonl");
      const orig = readFileSync(p, "utf8");
      const lines = orig.split("\n");
      lines[1] = lines[1]!.slice(0, 20);
      writeFileSync(p, lines.join("\n"));
      return () => writeFileSync(p, orig);
    }],
    ["a duplicated metrics row", [], /line 3 holds step 1 where step 2 belongs; metrics\.jsonl has a gap or a duplicate/, () => {
      const p = join(dir, "runs", "held", "metrics.jsonl");
      const orig = readFileSync(p, "utf8");
      const lines = orig.split("\n");
      lines.splice(2, 0, lines[1]!);
      writeFileSync(p, lines.join("\n"));
      return () => writeFileSync(p, orig);
    }],
  ];
  test.each(cases)("%s: exit 2, one line, the folder and its log untouched", (_what, flags, message, damage) => {
    const undo = damage?.();
    try {
      const before = snapshot("held", log);
      const r = cli("simulate", "--resume", join(dir, "runs", "held"), ...flags);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(message);
      expect(snapshot("held", log)).toEqual(before);
    } finally {
      undo?.();
    }
  });

  test("flags that may change are applied: --steps extends the run and is kept for the next resume", () => {
    const r = cli("simulate", "--resume", join(dir, "runs", "held"), "--steps", "6", "--transport", "inproc", "--stop-after", "5");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/resuming .* at step 3 of 6/);
    expect(metrics("held").map((m) => m.step)).toEqual([0, 1, 2, 3, 4]);
    const again = cli("simulate", "--resume", join(dir, "runs", "held"), "--transport", "inproc");
    expect(again.out).toMatch(/at step 5 of 6/);
    expect(metrics("held").map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5]);
    // Replay rebuilds actors from the log's header (5 steps); it says why the learner will differ.
    const replay = cli("replay", log, "--actor", "reward", "--verify");
    expect(replay.code).toBe(0);
    expect(replay.err).toMatch(/resumed with --steps 6 \(its header records 5\); .*the learner .* diverge where the run was resumed/);
  });
});

test("config.json holds only relative paths: a moved run folder resumes; a copy that shares the original's log is refused", () => {
  const log = join(dir, "logs", "mv.spzlog");
  expect(cli("simulate", ...RUN, "--run", "mv", "--record", log, "--stop-after", "2").code).toBe(0);
  const saved = readFileSync(join(dir, "runs", "mv", "config.json"), "utf8");
  expect(saved).not.toContain(dir);
  expect(JSON.parse(saved).record).toBe("../../logs/mv.spzlog");
  // A copy beside it shares the log: resuming it would cut the original's records.
  cpSync(join(dir, "runs", "mv"), join(dir, "runs", "mv-copy"), { recursive: true });
  const logBefore = readFileSync(log);
  const copy = cli("simulate", "--resume", join(dir, "runs", "mv-copy"));
  expect(copy.code).toBe(2);
  expect(copy.err).toMatch(/is a copy of .*runs\/mv and shares its episode log/);
  expect(readFileSync(log).equals(logBefore)).toBe(true);
  // Moving the folder (the log keeps its place relative to it) resumes and finishes the run.
  rmSync(join(dir, "runs", "mv-copy"), { recursive: true });
  renameSync(join(dir, "runs", "mv"), join(dir, "runs", "moved"));
  const r = cli("simulate", "--resume", join(dir, "runs", "moved"), "--transport", "inproc");
  expect(r.code).toBe(0);
  expect(metrics("moved")).toEqual(metrics("whole"));
  expect(readFileSync(log).equals(readFileSync(join(dir, "whole.spzlog")))).toBe(true);
});

test("--keep-checkpoints on a resume that passed over a corrupted newer checkpoint keeps the one it wrote, not the leftover", () => {
  expect(cli("simulate", ...RUN, "--run", "keep", "--stop-after", "5").code).toBe(0);
  const root = join(dir, "runs", "keep", "checkpoints");
  const corrupt = join(root, "ckpt-00000005", "learner.bin");
  const bytes = readFileSync(corrupt);
  bytes[0]! ^= 1;
  writeFileSync(corrupt, bytes);
  rmSync(join(root, "ckpt-00000004"), { recursive: true });
  // Resumes at step 3 (5 does not verify, 4 is gone), stops after writing 4: with N = 1 checkpoint 4 stays.
  const r = cli("simulate", "--resume", join(dir, "runs", "keep"), "--transport", "inproc", "--stop-after", "4", "--keep-checkpoints", "1");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/at step 3 of 5/);
  expect(readdirSync(root).sort()).toEqual(["ckpt-00000004", "ckpt-00000005"]);
  const again = cli("simulate", "--resume", join(dir, "runs", "keep"), "--transport", "inproc");
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/at step 4 of 5/);
  expect(readdirSync(root).sort()).toEqual(["ckpt-00000005"]);
});
