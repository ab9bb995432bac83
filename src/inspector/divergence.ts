// The first divergence found by `replay --verify`, as a JSON file the inspector can open.
// Written by the replay command (--divergence-out, default <log>.divergence.json).

import * as fs from "node:fs";
import * as path from "node:path";
import type { Divergence } from "../runtime/replay.ts";

export const DIVERGENCE_FORMAT = "spz-divergence/1" as const;

export interface DivergenceFile {
  format: typeof DIVERGENCE_FORMAT;
  /** Absolute path of the log that was replayed. */
  log: string;
  /** Size of the log when it was replayed; the inspector warns when the log has changed since. */
  logBytes: number;
  actor: string;
  /** Reward design of the replay (differs from the recorded one in a what-if). */
  design: string | null;
  recordedDesign: string | null;
  divergence: Divergence;
  /** Human-readable one-line description, as printed by replay. */
  summary: string;
}

/** Where replay writes the divergence when no --divergence-out is given. */
export function defaultDivergencePath(log: string): string {
  return `${log}.divergence.json`;
}

export function writeDivergenceFile(file: string, data: Omit<DivergenceFile, "format">): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const body: DivergenceFile = { format: DIVERGENCE_FORMAT, ...data };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
}

/** Reads and shape-checks a divergence file; throws an Error with exitCode 2 when it is not one. */
export function readDivergenceFile(file: string): DivergenceFile {
  const bad = (why: string): never => {
    throw Object.assign(new Error(`${file} is not a divergence file written by replay --verify (${why})`), { exitCode: 2 });
  };
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return bad((e as Error).message.replace(/\s+/g, " "));
  }
  if (typeof data !== "object" || data === null) return bad("not a JSON object");
  const d = data as Partial<DivergenceFile>;
  if (d.format !== DIVERGENCE_FORMAT) return bad(`format ${JSON.stringify(d.format)}, expected ${DIVERGENCE_FORMAT}`);
  const v = d.divergence;
  if (typeof v !== "object" || v === null || typeof v.step !== "number" || typeof v.id !== "string" || !Array.isArray(v.diff)) {
    return bad("no divergence {step, id, diff}");
  }
  return d as DivergenceFile;
}
