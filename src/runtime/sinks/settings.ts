// What a run writes besides metrics.jsonl (src/runtime/sinks/index.ts), as flags set it. Kept apart
// from the sinks so that declaring the flags loads none of them.

export const TRACKERS = ["tensorboard"] as const;
export type Tracker = (typeof TRACKERS)[number];

export interface SinkSettings {
  reportTo: Tracker[];
  /** Completions per step written to completions.jsonl (0: none). */
  logCompletions: number;
  /** Held-out evaluation interval in steps (0: none). */
  evalEvery: number;
  evalPassages: number;
}

export const NO_SINKS: SinkSettings = { reportTo: [], logCompletions: 0, evalEvery: 0, evalPassages: 200 };
