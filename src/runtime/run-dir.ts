// A run's directory: runs/<name>/ with the resolved config, metrics.jsonl (one JSON object per step,
// appended as the run goes, so a crash keeps every finished step), and checkpoints/. config.json
// holds only paths relative to the run folder, so a run folder can be moved or copied.

import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { customAlphabet, nanoid } from "nanoid";
import { runConfigFrom, type RunConfig } from "./config.ts";

export interface RunDir {
  path: string;
  name: string;
  metricsPath: string;
  configPath: string;
  appendMetrics(row: Record<string, unknown>): void;
}

/** What config.json holds: how the run was started, and where its episode log is. */
export interface SavedRun {
  /** Random id given when the run folder is made; a copy of the folder keeps it. */
  id?: string;
  command: string;
  backend: RunConfig["backend"];
  simulation: boolean;
  checkpointEvery: number;
  /** Checkpoint folders kept (the newest); absent or 0: all. */
  keepCheckpoints?: number;
  /** The episode log, when the run records one. */
  record?: string;
  config: RunConfig;
}

const runError = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });

/** Six lowercase letters or digits: two runs started in the same second still get different folders. */
const runSuffix = customAlphabet("0123456789abcdefghijklmnopqrstuvwxyz", 6);

/**
 * A name from the command, the wall clock and a random suffix; the clock and the suffix name the
 * folder only, they never enter a result.
 */
export function defaultRunName(command: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${command}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}-${runSuffix()}`;
}

/** Checks that `root` can hold run folders (it may not exist yet), without creating anything. */
export function checkRunsRoot(root: string): void {
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw runError(`--runs-dir ${root} is a file; accepted: a folder that holds run folders (created when missing)`);
  }
}

export function checkRunName(name: string): void {
  if (!/^[\w.-]+$/.test(name)) throw runError(`--run must be a plain folder name (letters, digits, '.', '_', '-'), got "${name}"`);
}

/** Creates runs/<name>; an existing run is never overwritten: a numeric suffix is added instead. */
export function createRunDir(root: string, name: string, saved: SavedRun): RunDir & { id: string } {
  checkRunName(name);
  checkRunsRoot(root);
  mkdirSync(root, { recursive: true });
  let path = resolve(root, name);
  for (let i = 2; existsSync(path); i++) path = resolve(root, `${name}-${i}`);
  mkdirSync(path);
  const dir = runDirAt(path);
  writeFileSync(dir.metricsPath, "");
  const id = nanoid();
  if (saved.record) writeLogOwner(saved.record, { run: id, path });
  // Last, and atomically: a folder without config.json is not a run (a crash before this leaves nothing to resume).
  writeSavedRun(dir, { id, ...saved });
  return { ...dir, id };
}

/** Opens an existing run folder (for --resume): a path, or a name under `root`. */
export function openRunDir(pathOrName: string, root = "runs"): RunDir {
  const path = existsSync(join(pathOrName, "config.json")) ? resolve(pathOrName) : resolve(root, pathOrName);
  if (!existsSync(join(path, "config.json"))) {
    throw runError(`${pathOrName} is not a run folder (no config.json); accepted: a folder written by train or simulate`);
  }
  return runDirAt(path);
}

/** A path as config.json stores it: relative to the run folder. */
function portable(dir: string, p: string): string {
  return relative(dir, resolve(p)) || ".";
}

/** Writes config.json atomically, with its paths relative to the run folder. */
export function writeSavedRun(dir: RunDir, saved: SavedRun): void {
  const c = saved.config;
  const config: RunConfig = {
    ...c,
    corpus: c.corpus.path === "factbook" ? c.corpus : { ...c.corpus, path: portable(dir.path, c.corpus.path) },
    model: c.backend === "model" ? { ...c.model, dir: portable(dir.path, c.model.dir) } : c.model,
  };
  const out = { ...saved, ...(saved.record ? { record: portable(dir.path, saved.record) } : {}), config };
  const tmp = `${dir.configPath}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(out, null, 2)}\n`);
  renameSync(tmp, dir.configPath);
}

/** Reads config.json back, with its paths resolved against the run folder (absolute ones, from older runs, kept). */
export function readSavedRun(dir: RunDir): SavedRun {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(dir.configPath, "utf8"));
  } catch (e) {
    throw runError(`${dir.configPath} is not valid JSON (${(e as Error).message.replace(/\s+/g, " ")}); accepted: the config.json that train or simulate wrote`);
  }
  const s = raw as Partial<SavedRun> | null;
  const c = s?.config;
  if (typeof s !== "object" || s === null || typeof c !== "object" || c === null || typeof c.seed !== "number" || typeof c.corpus?.path !== "string" || typeof c.model?.dir !== "string") {
    throw runError(`${dir.configPath} holds no run configuration; accepted: the config.json that train or simulate wrote`);
  }
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir.path, p));
  return {
    ...(typeof s.id === "string" ? { id: s.id } : {}),
    command: String(s.command ?? "simulate"),
    backend: c.backend,
    simulation: c.backend === "sim",
    checkpointEvery: typeof s.checkpointEvery === "number" ? s.checkpointEvery : 0,
    ...(typeof s.keepCheckpoints === "number" && s.keepCheckpoints > 0 ? { keepCheckpoints: s.keepCheckpoints } : {}),
    ...(typeof s.record === "string" ? { record: at(s.record) } : {}),
    config: runConfigFrom({
      ...c,
      corpus: c.corpus.path === "factbook" ? c.corpus : { ...c.corpus, path: at(c.corpus.path) },
      model: c.backend === "model" ? { ...c.model, dir: at(c.model.dir) } : c.model,
    }),
  };
}

function runDirAt(path: string): RunDir {
  const metricsPath = join(path, "metrics.jsonl");
  return {
    path,
    name: path.split("/").at(-1)!,
    metricsPath,
    configPath: join(path, "config.json"),
    appendMetrics(row) {
      appendFileSync(metricsPath, `${JSON.stringify(row)}\n`);
    },
  };
}

/**
 * Which run folder owns an episode log: `<log>.run.json`. A copied run folder keeps the id but not
 * the path, so resuming the copy cannot cut the original's log; a moved one takes the log over.
 */
export interface LogOwner {
  run: string;
  path: string;
}

export const logOwnerPath = (log: string): string => `${log}.run.json`;

export function writeLogOwner(log: string, owner: LogOwner): void {
  const file = logOwnerPath(log);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(owner)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function readLogOwner(log: string): LogOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(logOwnerPath(log), "utf8")) as LogOwner;
    return typeof o.run === "string" && typeof o.path === "string" ? o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long the run recorded in `log` took on the wall clock: the sum over its sessions (a resume
 * restarts the clock) of wall.elapsedS in its metrics rows. Null when the log has no owning run
 * folder or its metrics carry no wall time. Replay reports its speed against this.
 */
export function recordedWallSeconds(log: string): { seconds: number; steps: number; metrics: string } | null {
  const owner = readLogOwner(log);
  if (!owner) return null;
  const metrics = join(owner.path, "metrics.jsonl");
  let text: string;
  try {
    text = readFileSync(metrics, "utf8");
  } catch {
    return null;
  }
  let total = 0;
  let session = 0;
  let steps = 0;
  for (const line of text.split("\n")) {
    let elapsed: unknown;
    try {
      elapsed = (JSON.parse(line) as { wall?: { elapsedS?: unknown } }).wall?.elapsedS;
    } catch {
      continue;
    }
    if (typeof elapsed !== "number") continue;
    if (elapsed < session) total += session;
    session = elapsed;
    steps++;
  }
  return steps ? { seconds: total + session, steps, metrics } : null;
}
