// `--eval-every N`: held-out metrics while training goes on. The policy is evaluated at step 0 (the
// initial model), at every multiple of N and at the run's last step, from the checkpoint the run
// writes there (self-play writes checkpoints at these steps even off --checkpoint-every). Each
// evaluation runs in its own process (src/eval/held-out-child.ts), one at a time, while the actors
// keep training: nothing the actors see or send changes, so the episode log and metrics.jsonl stay
// byte-identical with and without it. Rows go to RUN/eval.jsonl as they finish; at the end the run
// waits for the evaluations still queued.
//
// Why not in the learner: an evaluation there would hold up the step, and its model calls would
// share the learner's engine state. Why not all at the end (like --probe): the curve would not be
// there while the run goes on, and a stopped run would have none.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { checkpointName } from "../runtime/checkpoint.ts";
import type { RunConfig } from "../runtime/config.ts";
import { appendRows, cutRows, type Row } from "../runtime/sinks/jsonl.ts";
import type { HeldOutRow } from "./held-out.ts";

const CHILD = join(import.meta.dir, "held-out-child.ts");

/** Why a run cannot have held-out metrics, or undefined when it can. */
export function heldOutUnsupported(config: RunConfig): string | undefined {
  if (config.backend !== "model") return "the simulator has no language model to evaluate; accepted: train with --backend model";
  return undefined;
}

export interface EvalEveryOptions {
  runPath: string;
  every: number;
  passages: number;
  /** The step this invocation starts at (a resume's checkpoint): rows after it are cut; missing ones up to it are made. */
  fromStep: number;
  /** The last step this invocation trains to. */
  lastStep: number;
  say: (line: string) => void;
  warn: (line: string) => void;
  onRow?: (row: HeldOutRow) => void;
}

export class EvalEvery {
  readonly path: string;
  private readonly done = new Set<number>();
  private readonly queue: number[] = [];
  private child: ReturnType<typeof Bun.spawn> | null = null;
  private running: Promise<void> | null = null;
  /** The step being evaluated while `running`. */
  private current = -1;
  private stopped = false;
  private say: (line: string) => void;

  constructor(private readonly o: EvalEveryOptions) {
    this.path = join(o.runPath, "eval.jsonl");
    this.say = o.say;
    // A resumed run keeps the rows of checkpoints up to where it resumes; later ones are made again.
    for (const r of cutRows(this.path, (r) => typeof r.step === "number" && r.step <= o.fromStep)) this.done.add(r.step as number);
    for (let s = 0; s <= o.fromStep; s += o.every) {
      if (!this.done.has(s) && (s === 0 || existsSync(join(o.runPath, "checkpoints", checkpointName(s))))) this.queue.push(s);
    }
    this.pump();
  }

  /** Steps whose checkpoint the run must write for an evaluation. */
  wantsCheckpoint(step: number): boolean {
    return step > 0 && (step % this.o.every === 0 || step === this.o.lastStep);
  }

  /** Whether checkpoint `step` is still to be read by an evaluation (queued or running). */
  pending(step: number): boolean {
    return this.queue.includes(step) || (this.running !== null && this.current === step);
  }

  /** The run committed checkpoint `step`: evaluate it when it is one of ours. */
  checkpointWritten(step: number): void {
    if (!this.wantsCheckpoint(step) || this.done.has(step) || this.queue.includes(step)) return;
    this.queue.push(step);
    this.pump();
  }

  /** Resolves once every queued evaluation has finished; `say` prints from now on. */
  async drain(say: (line: string) => void = this.say): Promise<void> {
    this.say = say;
    if (this.queue.length || this.running) this.say(`waiting for held-out eval of step${this.queue.length + (this.running ? 1 : 0) > 1 ? "s" : ""} ${[...(this.running ? [this.current] : []), ...this.queue].join(", ")}`);
    while (this.running) await this.running;
  }

  /** Stops the running evaluation and drops the queue (the run failed). */
  abort(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.child?.kill();
  }

  private pump(): void {
    if (this.running || this.stopped) return;
    const step = this.queue.shift();
    if (step === undefined) return;
    this.current = step;
    this.running = this.evaluate(step).finally(() => {
      this.running = null;
      this.child = null;
      this.pump();
    });
  }

  private async evaluate(step: number): Promise<void> {
    // stdin: a pipe held open and never written, so the child ends with this process (held-out-child.ts).
    const child = Bun.spawn([process.execPath, CHILD, this.o.runPath, String(step), String(this.o.passages)], {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "pipe",
      env: { ...process.env, SPZ_EVAL_EXIT_WITH_PARENT: "1" },
    });
    this.child = child;
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (this.stopped) return;
    if (code !== 0) {
      const why = err.trim().split("\n").at(-1) || `exit code ${code}`;
      // Bad input (no held-out passages, a run that cannot be evaluated) fails every step the same way.
      if (code === 2) {
        this.stopped = true;
        this.queue.length = 0;
        this.o.warn(`eval-every: step ${step}: ${why}; no more held-out evals in this run`);
      } else this.o.warn(`eval-every: step ${step} failed: ${why}`);
      return;
    }
    const row = JSON.parse(out.trim().split("\n").at(-1)!) as HeldOutRow;
    appendRows(this.path, [row as unknown as Row]);
    this.done.add(step);
    this.o.onRow?.(row);
    this.say(`eval step ${step}: held-out mask_acc ${row.evalMaskAcc.toFixed(3)} nll ${row.evalNll.toFixed(3)} (${row.evalMasks} masks, ${row.wall.seconds.toFixed(1)}s)`);
  }
}
