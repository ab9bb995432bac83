// What a training run writes besides metrics.jsonl, checkpoints and the episode log, for users of
// TRL-style trainers: TensorBoard event files (--report-to), sampled completions (--log-completions)
// and held-out metrics during training (--eval-every). All of it is read off what the runner already
// sees (metrics rows, routed messages, committed checkpoints), so none of it changes a byte of the
// episode log or of metrics.jsonl.

import { join } from "node:path";
import type { Envelope } from "../../protocol/messages.ts";
import type { RunConfig } from "../config.ts";
import { EvalEvery } from "../../eval/eval-every.ts";
import { CompletionLog } from "./completions.ts";
import { appendRows, cutRows, readRows, type Row } from "./jsonl.ts";
import type { SinkSettings } from "./settings.ts";
import { evalScalars, TensorBoardWriter, trainScalars } from "./tensorboard.ts";

export { NO_SINKS, TRACKERS, type SinkSettings, type Tracker } from "./settings.ts";

export interface SinkContext {
  runPath: string;
  config: RunConfig;
  /** The first step this invocation runs (0, or a resume's checkpoint). */
  fromStep: number;
  /** A resume: files a crash or an earlier invocation left are cut back to fromStep. */
  resumed: boolean;
  /** The last step it trains to (--steps, or --stop-after). */
  lastStep: number;
  checkpointEvery: number;
  /** A line for the user (printed above the progress bar). */
  say: (line: string) => void;
  warn: (line: string) => void;
}

export interface RunSinks {
  /** Every routed message (Hub observe). */
  observe(env: Envelope): void;
  /** A metrics row just appended to metrics.jsonl. */
  row(metrics: Record<string, unknown>): void;
  /** Whether the run must write checkpoint `step` for a sink (--eval-every). */
  wantsCheckpoint(step: number): boolean;
  /** Whether a sink has still to read checkpoint `step` (an evaluation not done yet): --keep-checkpoints spares it until then. */
  needsCheckpoint(step: number): boolean;
  /** Checkpoint `step` was committed. */
  checkpointWritten(step: number): void;
  /** The run ended: wait for pending evaluations (printing with `say`), close files. */
  finish(say?: (line: string) => void): Promise<void>;
  /** The run failed: stop at once. */
  abort(): void;
}

/** Opens the sinks the settings ask for; a resume first cuts their files back to its checkpoint. */
export function openSinks(s: SinkSettings, c: SinkContext): RunSinks {
  const completionsPath = join(c.runPath, "completions.jsonl");
  const completions = s.logCompletions > 0 ? new CompletionLog(s.logCompletions) : null;
  // A step recomputed after a resume writes its completions again: the old rows go first.
  if (completions) cutRows(completionsPath, (r) => typeof r.step === "number" && r.step < c.fromStep);

  let tb: TensorBoardWriter | null = null;
  const evalEvery = s.evalEvery > 0 ? new EvalEvery({ runPath: c.runPath, every: s.evalEvery, passages: s.evalPassages, fromStep: c.fromStep, lastStep: c.lastStep, say: c.say, warn: c.warn, onRow: (r) => tb?.scalars(r.step, evalScalars(r as unknown as Row)) }) : null;
  if (evalEvery && !(c.checkpointEvery > 0 && s.evalEvery % c.checkpointEvery === 0)) {
    const why = c.checkpointEvery > 0 ? `is not a multiple of --checkpoint-every ${c.checkpointEvery}` : "is set while --checkpoint-every is 0";
    c.warn(`--eval-every ${s.evalEvery} ${why}: checkpoints are also written at every multiple of ${s.evalEvery} and at the last step, to be evaluated`);
  }
  if (s.reportTo.includes("tensorboard")) {
    tb = TensorBoardWriter.open(
      join(c.runPath, "tensorboard"),
      c.resumed
        ? {
        fromStep: c.fromStep,
        trainRows: () => readRows(join(c.runPath, "metrics.jsonl")),
        evalRows: () => readRows(join(c.runPath, "eval.jsonl")),
      }
        : undefined,
    );
  }
  const writes = [...(tb ? ["tensorboard/ (view: tensorboard --logdir " + join(c.runPath, "tensorboard") + ")"] : []), ...(completions ? ["completions.jsonl"] : []), ...(evalEvery ? ["eval.jsonl"] : [])];
  if (writes.length) c.say(`also writing ${writes.join(", ")} in ${c.runPath}`);
  return {
    observe(env) {
      completions?.see(env.msg);
    },
    row(metrics) {
      tb?.scalars(metrics.step as number, trainScalars(metrics));
      if (completions) appendRows(completionsPath, completions.take(metrics.step as number) as unknown as Row[]);
    },
    wantsCheckpoint: (step) => evalEvery?.wantsCheckpoint(step) ?? false,
    needsCheckpoint: (step) => evalEvery?.pending(step) ?? false,
    checkpointWritten: (step) => evalEvery?.checkpointWritten(step),
    async finish(say) {
      await evalEvery?.drain(say);
      tb?.close();
    },
    abort() {
      evalEvery?.abort();
      tb?.close();
    },
  };
}
