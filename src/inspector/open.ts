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

/** " (--runs-dir X is a file)" when the runs folder is not a folder, so a failed lookup says why. */
export function runsDirNote(runsDir: string): string {
  try {
    return fs.statSync(runsDir).isDirectory() ? "" : `; --runs-dir ${runsDir} is a file, not a folder`;
  } catch {
    return "";
  }
}

/** The episode log a run folder recorded (config.json's `record`), or null when it recorded none. */
export function runLog(runDir: string): string | null {
  const cfgPath = path.join(runDir, "config.json");
  let text: string;
  try {
    text = fs.readFileSync(cfgPath, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "it has no config.json" : `cannot read ${cfgPath} (${code ?? (e as Error).message})`;
    throw inputError(`${runDir} is not a run folder: ${why}; accepted: a run folder written by simulate or train, or an episode log file`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw inputError(`${cfgPath} is not valid JSON (${(e as Error).message.replace(/\s+/g, " ")}); accepted: the config.json that simulate or train wrote (or pass the episode log itself)`);
  }
  const record = typeof meta === "object" && meta !== null ? (meta as { record?: unknown }).record : undefined;
  if (typeof record !== "string") return null;
  // config.json stores the log relative to the run folder (older runs: as given on the command line).
  const inRun = path.resolve(runDir, record);
  if (fs.existsSync(inRun)) return inRun;
  if (fs.existsSync(record)) return record;
  // The folder may have moved since: look for the log under the same name inside it.
  const moved = path.join(runDir, path.basename(record));
  return fs.existsSync(moved) ? moved : inRun;
}

/** Resolves RUN|LOG to the log to open; throws (exit code 2) when the run recorded no log. */
export function openRunOrLog(arg: string, runsDir = "runs"): Opened {
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) return { log: arg };
  const runDir = findRunDir(arg, runsDir);
  if (runDir === null) {
    throw inputError(
      `not found: ${arg} (looked for ${arg} and ${path.join(runsDir, arg)}${runsDirNote(runsDir)}); accepted: an episode log file, a run folder recorded with --record, or its name under --runs-dir`,
    );
  }
  const log = runLog(runDir);
  if (log === null) {
    throw inputError(`run ${runDir} has no episode log (it was run without --record); accepted: a run recorded with --record, or an episode log file`);
  }
  return { log, runDir };
}
