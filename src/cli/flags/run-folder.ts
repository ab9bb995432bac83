// The run-folder group: where a run's folder (config.json, metrics.jsonl, checkpoints/) is written.

import { checkRunName } from "../../runtime/run-dir.ts";
import type { FlagSpec, ParsedArgs } from "../args.ts";
import { groupStr } from "./group.ts";

export interface RunFolderConfig {
  /** Folder that holds run folders. */
  runsDir: string;
  /** Run folder name; undefined: the command picks one (<command>-<date>-<time>, which needs the clock). */
  name: string | undefined;
}

const D: RunFolderConfig = { runsDir: "runs", name: undefined };

export const RUN_FOLDER_FLAGS: readonly FlagSpec[] = [
  { name: "run", type: "string", help: "run name: writes <runs-dir>/<name>/ (config.json, metrics.jsonl, checkpoints/); default <command>-<date>-<time>" },
  { name: "runs-dir", type: "path", default: D.runsDir, help: "folder that holds run folders" },
];

/** Checks the name only; whether --runs-dir can hold folders is a question for the disk, asked when the run starts. */
export function readRunFolder(args: ParsedArgs, base: RunFolderConfig = D): RunFolderConfig {
  const name = groupStr(args, "run") ?? base.name;
  if (name !== undefined) checkRunName(name);
  return { runsDir: groupStr(args, "runs-dir") ?? base.runsDir, name };
}
