// Runs a study's cells: each one trains (or resumes) as a subprocess, then evaluates as a
// subprocess; up to `jobs` cells at once. A cell's output goes to its log; a failing cell is
// reported and the others go on. A cell is finished when its eval result file exists.

import { appendFileSync, closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { cellPaths, decideCell, observeCell, type CellAction } from "./cell-state.ts";
import { evalArgs, resumeArgs, trainArgs } from "./commands.ts";
import type { Cell, StudyPlan } from "./plan.ts";

/** The CLI entry point the subprocesses run. */
export const MAIN = join(import.meta.dir, "..", "cli", "main.ts");

/** What a finished cell's eval result file holds. */
export interface EvalRecord {
  cell: string;
  method: string;
  seed: number | null;
  /** The checkpoint step evaluated (null: the base model). */
  step: number | null;
  result: Record<string, unknown>;
  /** What this cell did in the invocation that finished it, and how long its subprocesses took. */
  action: CellAction;
  trainS: number | null;
  evalS: number;
  finished: string;
}

export interface CellOutcome {
  cell: Cell;
  action: CellAction;
  ok: boolean;
  /** One line: what failed, with the log's path. */
  error?: string;
  wallS: number;
}

export interface ExecuteOptions {
  jobs: number;
  /** A progress line (stderr). */
  say: (line: string) => void;
}

/** A path as progress lines show it: relative to the working directory when inside it. */
export function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === "" ? "." : r.startsWith("..") || isAbsolute(r) ? p : r;
}

const seconds = (t0: number): number => Math.round((performance.now() - t0) / 10) / 100;

export function formatElapsed(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, "0")}s`;
}

/** Subprocesses running now: a signal that stops the study stops them too (else they would keep writing into its folder). */
const live = new Set<{ kill(signal?: NodeJS.Signals | number): void }>();
let forwarding = false;

function forwardSignals(): void {
  if (forwarding) return;
  forwarding = true;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.on(signal, () => {
      for (const p of live) p.kill(signal);
      process.stderr.write(`[study] ${signal}: stopped ${live.size} subprocess(es); rerun the same command to resume\n`);
      process.exit(code);
    });
  }
}

/** Runs `bun main.ts ...args`, stderr (and then stdout) appended to the log; returns stdout. */
async function runLogged(args: string[], log: string): Promise<{ code: number; stdout: string; seconds: number }> {
  appendFileSync(log, `\n$ bun src/cli/main.ts ${args.map((a) => (/^[\w./,=:@+-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}\n`);
  const fd = openSync(log, "a");
  const t0 = performance.now();
  try {
    const p = Bun.spawn([process.execPath, MAIN, ...args], { cwd: process.cwd(), stdin: "ignore", stdout: "pipe", stderr: fd, env: { ...process.env, NO_COLOR: "1" } });
    live.add(p);
    const stdout = await new Response(p.stdout).text();
    const code = await p.exited;
    live.delete(p);
    appendFileSync(log, stdout);
    appendFileSync(log, `[exit ${code} after ${seconds(t0)}s]\n`);
    return { code, stdout, seconds: seconds(t0) };
  } finally {
    closeSync(fd);
  }
}

/** The `{"results":[...]}` line eval --json prints last. */
function evalResult(stdout: string): { step: number | null; result: Record<string, unknown> } | undefined {
  const last = stdout.trim().split("\n").at(-1) ?? "";
  try {
    const r = (JSON.parse(last) as { results?: Record<string, unknown>[] }).results?.[0];
    if (!r) return undefined;
    const { label: _label, step, ...result } = r;
    return { step: typeof step === "number" ? step : null, result };
  } catch {
    return undefined;
  }
}

async function runCell(plan: StudyPlan, out: string, cell: Cell, action: CellAction): Promise<Omit<CellOutcome, "cell" | "action" | "wallS">> {
  const p = cellPaths(out, cell);
  const log = shownPath(p.log);
  let trainS: number | null = null;
  if (action === "restart") rmSync(p.run, { recursive: true, force: true });
  if (action === "train" || action === "restart" || action === "resume") {
    const args = action === "resume" ? resumeArgs(p) : trainArgs(plan, cell, join(out, "runs"));
    const r = await runLogged(args, p.log);
    if (r.code !== 0) return { ok: false, error: `train${action === "resume" ? " --resume" : ""} exited with ${r.code}; log: ${log}` };
    trainS = r.seconds;
  }
  const e = await runLogged(evalArgs(plan, cell, p), p.log);
  if (e.code !== 0) return { ok: false, error: `eval exited with ${e.code}; log: ${log}` };
  const parsed = evalResult(e.stdout);
  if (!parsed) return { ok: false, error: `eval printed no JSON result; log: ${log}` };
  // Never let a run that stopped early pass as trained to the end.
  if (cell.seed !== null && parsed.step !== plan.train.steps) return { ok: false, error: `eval scored checkpoint step ${parsed.step ?? "none"}, not the last step ${plan.train.steps}; log: ${log}` };
  const record: EvalRecord = { cell: cell.name, method: cell.method, seed: cell.seed, step: parsed.step, result: parsed.result, action, trainS, evalS: e.seconds, finished: new Date().toISOString() };
  // Atomically: the file's existence is what marks the cell finished.
  mkdirSync(dirname(p.evalFile), { recursive: true });
  writeFileSync(`${p.evalFile}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${p.evalFile}.tmp`, p.evalFile);
  return { ok: true };
}

/** Runs every cell that is not finished, `jobs` at a time, in the given order. */
export async function executeCells(plan: StudyPlan, out: string, cells: readonly Cell[], o: ExecuteOptions): Promise<CellOutcome[]> {
  for (const d of ["runs", "evals", "logs"]) mkdirSync(join(out, d), { recursive: true });
  forwardSignals();
  const t0 = performance.now();
  const outcomes: CellOutcome[] = [];
  const todo = cells.map((cell) => ({ cell, action: decideCell(cell, observeCell(cellPaths(out, cell)), plan.train.steps) }));
  const skipped = todo.filter((t) => t.action === "skip");
  for (const t of skipped) outcomes.push({ cell: t.cell, action: "skip", ok: true, wallS: 0 });
  if (skipped.length) o.say(`[study] ${skipped.length} of ${cells.length} cells already finished, skipped: ${skipped.map((t) => t.cell.name).join(", ")}`);
  const queue = todo.filter((t) => t.action !== "skip");
  let next = 0;
  let done = skipped.length;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const { cell, action } = queue[next++]!;
      o.say(`[study] start ${cell.name} (${action === "eval" ? "eval" : `${action}, then eval`})  [${formatElapsed(seconds(t0))}]`);
      const c0 = performance.now();
      let r: Awaited<ReturnType<typeof runCell>>;
      try {
        r = await runCell(plan, out, cell, action);
      } catch (e) {
        r = { ok: false, error: `${(e as Error).message}; log: ${cellPaths(out, cell).log}` };
      }
      const wallS = seconds(c0);
      done++;
      outcomes.push({ cell, action, ...r, wallS });
      const where = `${done}/${cells.length} cells done  [${formatElapsed(seconds(t0))}]`;
      o.say(r.ok ? `[study] done ${cell.name} in ${wallS.toFixed(1)}s; ${where}` : `[study] FAILED ${cell.name} after ${wallS.toFixed(1)}s: ${r.error}; ${where}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, queue.length)) }, worker));
  const order = new Map(cells.map((c, i) => [c.name, i]));
  return outcomes.sort((a, b) => order.get(a.cell.name)! - order.get(b.cell.name)!);
}
