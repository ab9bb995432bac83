// A small recorded simulate run (run folder + episode log) for the inspector and report tests.

import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../src/cli/main.ts");

export interface RecordedRun {
  runDir: string;
  log: string;
}

/** Runs `simulate` in-process transport with a recording; throws with its output when it fails. */
export function recordRun(root: string, name: string, extra: string[] = []): RecordedRun {
  const log = join(root, `${name}.spzlog`);
  const args = ["simulate", "--steps", "3", "--passages", "4", "--gen-samples", "4", "--pred-samples", "4", "--chunk", "2", "--seed", "5"];
  const p = Bun.spawnSync(["bun", MAIN, ...args, "--transport", "inproc", "--runs-dir", root, "--run", name, "--record", log, ...extra], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (p.exitCode !== 0) throw new Error(`simulate failed (${p.exitCode}): ${p.stderr.toString()}${p.stdout.toString()}`);
  return { runDir: join(root, name), log };
}

export function cli(cwd: string, ...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe", cwd });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
