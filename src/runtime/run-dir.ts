// A run's directory: runs/<name>/ with the resolved config, metrics.jsonl (one JSON object per step,
// appended as the run goes, so a crash keeps every finished step), and the episode log if recorded.

import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface RunDir {
  path: string;
  name: string;
  metricsPath: string;
  configPath: string;
  appendMetrics(row: Record<string, unknown>): void;
}

/** A name from the command and the wall clock; the clock names the folder, it never enters a result. */
export function defaultRunName(command: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${command}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Creates runs/<name>; an existing run is never overwritten: a numeric suffix is added instead. */
export function createRunDir(root: string, name: string, config: unknown, meta: Record<string, unknown>): RunDir {
  if (!/^[\w.-]+$/.test(name)) {
    throw Object.assign(new Error(`--run must be a plain folder name (letters, digits, '.', '_', '-'), got "${name}"`), { exitCode: 2 });
  }
  mkdirSync(root, { recursive: true });
  let path = resolve(root, name);
  for (let i = 2; existsSync(path); i++) path = resolve(root, `${name}-${i}`);
  mkdirSync(path);
  const dir = runDirAt(path);
  writeFileSync(dir.configPath, `${JSON.stringify({ ...meta, config }, null, 2)}\n`);
  writeFileSync(dir.metricsPath, "");
  return dir;
}

/** Opens an existing run folder (for --resume): a path, or a name under `root`. */
export function openRunDir(pathOrName: string, root = "runs"): RunDir {
  const path = existsSync(join(pathOrName, "config.json")) ? resolve(pathOrName) : resolve(root, pathOrName);
  if (!existsSync(join(path, "config.json"))) {
    throw Object.assign(new Error(`${pathOrName} is not a run folder (no config.json); accepted: a folder written by train or simulate`), { exitCode: 2 });
  }
  return runDirAt(path);
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
