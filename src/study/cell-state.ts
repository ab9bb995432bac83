// What a cell still needs, from what its files say: the resume decision of a rerun study.
// observeCell reads the disk; decideCell is pure.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BASE, type Cell } from "./plan.ts";

export interface CellObservation {
  /** The cell's eval result file exists: the cell is finished. */
  evaluated: boolean;
  /** Its run folder exists. */
  runFolder: boolean;
  /** The run folder has config.json (train writes it last when creating the folder). */
  runConfig: boolean;
  /** Steps of the checkpoints in the run folder (by name; train --resume verifies them). */
  checkpoints: number[];
}

export type CellAction =
  /** Finished: nothing to do. */
  | "skip"
  /** Trained to the end (or base): evaluate only. */
  | "eval"
  /** Never started: train, then evaluate. */
  | "train"
  /** A run folder with checkpoints short of the last step: train --resume, then evaluate. */
  | "resume"
  /** A run folder without a checkpoint (or without config.json): delete it, train anew, evaluate. */
  | "restart";

export function decideCell(cell: Cell, o: CellObservation, steps: number): CellAction {
  if (o.evaluated) return "skip";
  if (cell.method === BASE) return "eval";
  if (!o.runFolder) return "train";
  if (!o.runConfig || o.checkpoints.length === 0) return "restart";
  return Math.max(...o.checkpoints) >= steps ? "eval" : "resume";
}

/** Where a cell's files live in the study folder. */
export interface CellPaths {
  run: string;
  evalFile: string;
  log: string;
}

export function cellPaths(out: string, cell: Cell): CellPaths {
  return { run: join(out, "runs", cell.name), evalFile: join(out, "evals", `${cell.name}.json`), log: join(out, "logs", `${cell.name}.log`) };
}

export function observeCell(p: CellPaths): CellObservation {
  const ckDir = join(p.run, "checkpoints");
  const checkpoints = existsSync(ckDir)
    ? readdirSync(ckDir)
        .map((n) => /^ckpt-(\d{8})$/.exec(n))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
    : [];
  return { evaluated: existsSync(p.evalFile), runFolder: existsSync(p.run), runConfig: existsSync(join(p.run, "config.json")), checkpoints };
}
