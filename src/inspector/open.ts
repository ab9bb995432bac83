// RUN|LOG arguments: a run folder (runs/<name>/, whose config.json names the episode log), a run
// name under the runs folder, or an episode log file.

import * as fs from "node:fs";
import * as path from "node:path";

export interface Opened {
  log: string;
  /** The run folder, when the argument named one. */
  runDir?: string;
}

const inputError = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });

/** The run folder for `arg`: the path itself, or <runsDir>/<arg>; null when neither is a folder. */
export function findRunDir(arg: string, runsDir = "runs"): string | null {
  for (const candidate of [arg, path.join(runsDir, arg)]) {
    try {
      if (fs.statSync(candidate).isDirectory()) return path.resolve(candidate);
    } catch {
      // not there: try the next candidate
    }
  }
  return null;
}

/** The episode log a run folder recorded (config.json's `record`), or null when it recorded none. */
export function runLog(runDir: string): string | null {
  const cfgPath = path.join(runDir, "config.json");
  let meta: unknown;
  try {
    meta = JSON.parse(fs.readFileSync(cfgPath, "utf8"));
  } catch (e) {
    throw inputError(`cannot read ${cfgPath} (${(e as Error).message.replace(/\s+/g, " ")}); accepted: a run folder written by simulate or train`);
  }
  const record = typeof meta === "object" && meta !== null ? (meta as { record?: unknown }).record : undefined;
  if (typeof record !== "string") return null;
  if (fs.existsSync(record)) return record;
  // The folder may have moved since: look for the log under the same name inside it.
  const moved = path.join(runDir, path.basename(record));
  return fs.existsSync(moved) ? moved : record;
}

/** Resolves RUN|LOG to the log to open; throws (exit code 2) when the run recorded no log. */
export function openRunOrLog(arg: string, runsDir = "runs"): Opened {
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) return { log: arg };
  const runDir = findRunDir(arg, runsDir);
  if (runDir === null) return { log: arg }; // the log reader reports "not found" in its own words
  const log = runLog(runDir);
  if (log === null) {
    throw inputError(`run ${runDir} has no episode log (it was run without --record); accepted: a run recorded with --record, or an episode log file`);
  }
  return { log, runDir };
}
