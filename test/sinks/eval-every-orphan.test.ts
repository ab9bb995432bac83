// --eval-every's evaluation process lives only as long as the run that started it: a run killed
// outright (SIGKILL: no handler runs) must not leave an evaluation behind, finishing unseen with a
// second copy of the model in memory.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "spz-eval-orphan-"));
const started: number[] = [];
afterAll(() => {
  // Whatever the outcome, leave no process of this test running.
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Running (not zombie) processes whose parent is `ppid` and whose command line contains `needle`. */
function childrenOf(ppid: number, needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid && fields[0] !== "Z" && readFileSync(`/proc/${name}/cmdline`, "utf8").includes(needle)) out.push(Number(name));
    } catch {}
  }
  return out;
}

const alive = (pid: number) => {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a SIGKILLed run's held-out evaluation process exits with it", async () => {
  // The default model's evaluation of 200 held-out passages takes seconds: far longer than the exit.
  const run = Bun.spawn(
    ["bun", MAIN, "train", "--steps", "3", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--transport", "inproc", "--eval-every", "1", "--eval-passages", "200", "--runs-dir", dir, "--run", "r"],
    { cwd: ROOT, stdout: "ignore", stderr: "ignore" },
  );
  started.push(run.pid);
  let child: number | undefined;
  for (let waited = 0; child === undefined && waited < 60_000; waited += 50) {
    child = childrenOf(run.pid, "held-out-child.ts")[0];
    if (child === undefined) await sleep(50);
  }
  expect(child).toBeDefined();
  started.push(child!);
  run.kill("SIGKILL");
  await run.exited;
  let gone = false;
  for (let waited = 0; !gone && waited < 1500; waited += 50) {
    gone = !alive(child!);
    if (!gone) await sleep(50);
  }
  expect(gone).toBe(true);
});
