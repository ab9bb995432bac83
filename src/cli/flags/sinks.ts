// The sink group of train and simulate: what a run writes besides metrics.jsonl (src/runtime/sinks/).
// None of these enter the run's configuration: they change no result, and a resume may change them.

import { heldOutUnsupported } from "../../eval/eval-every.ts";
import type { RunConfig } from "../../runtime/config.ts";
import { NO_SINKS, TRACKERS, type SinkSettings, type Tracker } from "../../runtime/sinks/settings.ts";
import { InputError, type FlagSpec, type ParsedArgs } from "../args.ts";
import { groupInt, groupStr } from "./group.ts";

export const SINK_FLAGS: readonly FlagSpec[] = [
  { name: "report-to", type: "string", default: "none", help: `also write the metrics for these trackers, a comma list: tensorboard (event files in RUN/tensorboard/, one scalar per metric per step), all, none` },
  { name: "log-completions", type: "int", min: 0, default: NO_SINKS.logCompletions, help: "write up to N sampled prompts and completions per step, with their rewards, to RUN/completions.jsonl (first completions of every prompt first); 0: off" },
  {
    name: "eval-every",
    type: "int",
    min: 0,
    default: NO_SINKS.evalEvery,
    help: "model runs: held-out masked-span accuracy and NLL of the policy at step 0, every N steps and the last, in RUN/eval.jsonl, each computed from its checkpoint by a background process while training goes on (checkpoints are written at those steps); 0: off",
  },
  { name: "eval-passages", type: "int", min: 1, default: NO_SINKS.evalPassages, help: "held-out passages (one seeded mask each, as bun run eval) per --eval-every evaluation" },
];

/** The trackers of --report-to: a comma list of tensorboard, all (every tracker) and none. */
export function parseReportTo(value: string): Tracker[] {
  const out = new Set<Tracker>();
  for (const raw of value.split(",")) {
    const v = raw.trim().toLowerCase();
    if (v === "none" || v === "") continue;
    if (v === "all") for (const t of TRACKERS) out.add(t);
    else if ((TRACKERS as readonly string[]).includes(v)) out.add(v as Tracker);
    else throw new InputError(`--report-to ${value}: unknown tracker "${raw.trim()}"; accepted: ${[...TRACKERS, "all", "none"].join(", ")}, or a comma list of them`);
  }
  return [...out];
}

export function readSinks(args: ParsedArgs): SinkSettings {
  return {
    reportTo: parseReportTo(groupStr(args, "report-to") ?? "none"),
    logCompletions: groupInt(args, "log-completions") ?? NO_SINKS.logCompletions,
    evalEvery: groupInt(args, "eval-every") ?? NO_SINKS.evalEvery,
    evalPassages: groupInt(args, "eval-passages") ?? NO_SINKS.evalPassages,
  };
}

/** Refuses settings the run cannot honour, before anything is written. */
export function checkSinks(s: SinkSettings, config: RunConfig): void {
  const why = s.evalEvery > 0 ? heldOutUnsupported(config) : undefined;
  if (why) throw new InputError(`--eval-every ${s.evalEvery}: ${why}`);
}
