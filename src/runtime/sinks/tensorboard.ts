// `--report-to tensorboard`: the run's metrics as TensorBoard event files in RUN/tensorboard/, one
// scalar per metric per step, from the same rows as metrics.jsonl (and eval.jsonl). Tags follow
// TRL's layout: train/<field>, eval/<field>, and wall/<field> for wall-clock figures.
//
// A resumed run cuts its older event files back to the checkpoint (as metrics.jsonl is cut), then
// appends a new file; steps the older files lack (a crash between the two appends, or a run first
// resumed with --report-to) are written again from metrics.jsonl, so TensorBoard shows every step once.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { decodeEvent, encodeEvent, FILE_VERSION } from "./tf-event.ts";
import { frameRecord, readRecords } from "./tfrecord.ts";

export interface Scalar {
  tag: string;
  value: number;
}

const EVENT_FILE = /^events\.out\.tfevents\./;
const isEval = (tag: string) => tag.startsWith("eval/");

/** A metrics.jsonl row's scalars: numeric fields as train/<field>, those under `wall` as wall/<field>; strings (the digest) are left out. */
export function trainScalars(row: Record<string, unknown>): Scalar[] {
  const out: Scalar[] = [];
  const add = (tag: string, v: unknown) => {
    if (typeof v === "number" && Number.isFinite(v)) out.push({ tag, value: v });
  };
  for (const [k, v] of Object.entries(row)) {
    if (k === "step" || k === "version") continue;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      for (const [sub, x] of Object.entries(v)) add(k === "wall" ? `wall/${sub}` : `train/${k}/${sub}`, x);
    } else add(`train/${k}`, v);
  }
  return out;
}

/** An eval.jsonl row's scalars: evalMaskAcc -> eval/maskAcc; its wall-clock fields as wall/eval<Field>. */
export function evalScalars(row: Record<string, unknown>): Scalar[] {
  const out: Scalar[] = [];
  for (const [k, v] of Object.entries(row)) {
    if (/^eval[A-Z]/.test(k) && typeof v === "number" && Number.isFinite(v)) out.push({ tag: `eval/${k[4]!.toLowerCase()}${k.slice(5)}`, value: v });
    if (k === "wall" && typeof v === "object" && v !== null) {
      for (const [sub, x] of Object.entries(v)) if (typeof x === "number" && Number.isFinite(x)) out.push({ tag: `wall/eval${sub[0]!.toUpperCase()}${sub.slice(1)}`, value: x });
    }
  }
  return out;
}

export interface TensorBoardResume {
  /** The first step the run computes again: older events at or after it are cut (eval events at it are kept: they score checkpoint fromStep). */
  fromStep: number;
  /** Rows that may need writing again: metrics.jsonl rows (steps before fromStep) and eval.jsonl rows (up to fromStep). */
  trainRows: () => Record<string, unknown>[];
  evalRows: () => Record<string, unknown>[];
}

/** Cuts one event file back to the events a resumed run keeps (a file left with none is removed), adding the steps kept to `kept`. */
function cutEventFile(path: string, fromStep: number, kept: { train: Set<number>; eval: Set<number> }): void {
  const bytes = new Uint8Array(readFileSync(path));
  const { records, goodBytes } = readRecords(bytes);
  const keep: Uint8Array[] = [];
  let summaries = 0;
  for (const r of records) {
    let e;
    try {
      e = decodeEvent(r.data);
    } catch {
      break;
    }
    const scalars = e.scalars ?? [];
    if (scalars.length === 0) {
      keep.push(r.raw);
      continue;
    }
    // An eval row's event (eval/… tags, and its wall/eval… time) scores checkpoint N: kept up to fromStep itself.
    const evalRow = scalars.some((s) => isEval(s.tag));
    if (evalRow ? e.step > fromStep : e.step >= fromStep) continue;
    keep.push(r.raw);
    summaries++;
    (evalRow ? kept.eval : kept.train).add(e.step);
  }
  if (summaries === 0) return rmSync(path);
  if (keep.length === records.length && goodBytes === bytes.length) return;
  const out = new Uint8Array(keep.reduce((n, k) => n + k.length, 0));
  let at = 0;
  for (const k of keep) {
    out.set(k, at);
    at += k.length;
  }
  writeFileSync(`${path}.tmp`, out);
  renameSync(`${path}.tmp`, path);
}

let fileSeq = 0;

export class TensorBoardWriter {
  readonly path: string;
  private fd: number;

  private constructor(
    dir: string,
    private readonly now: () => number,
  ) {
    mkdirSync(dir, { recursive: true });
    const secs = String(Math.floor(now())).padStart(10, "0");
    // Seconds, host, process and a counter: files of a run sort in the order they were written.
    let path: string;
    do path = join(dir, `events.out.tfevents.${secs}.${hostname()}.${process.pid}.${fileSeq++}`);
    while (existsSync(path));
    this.path = path;
    this.fd = openSync(path, "wx");
    this.append({ wallTime: now(), step: 0, fileVersion: FILE_VERSION });
  }

  /** A new event file in `dir` (RUN/tensorboard); with `resume`, older files are first cut back to the checkpoint. */
  static open(dir: string, resume?: TensorBoardResume, now: () => number = () => Date.now() / 1000): TensorBoardWriter {
    const kept = { train: new Set<number>(), eval: new Set<number>() };
    if (resume && existsSync(dir)) {
      for (const name of readdirSync(dir).filter((n) => EVENT_FILE.test(n) && !n.endsWith(".tmp")).sort()) cutEventFile(join(dir, name), resume.fromStep, kept);
    }
    const w = new TensorBoardWriter(dir, now);
    if (resume) {
      for (const row of resume.trainRows()) {
        const step = row.step as number;
        if (step < resume.fromStep && !kept.train.has(step)) w.scalars(step, trainScalars(row));
      }
      for (const row of resume.evalRows()) {
        const step = row.step as number;
        if (step <= resume.fromStep && !kept.eval.has(step)) w.scalars(step, evalScalars(row));
      }
    }
    return w;
  }

  private append(e: Parameters<typeof encodeEvent>[0]): void {
    writeSync(this.fd, frameRecord(encodeEvent(e)));
  }

  /** One event holding the step's scalars (nothing when there are none). */
  scalars(step: number, scalars: readonly Scalar[]): void {
    if (scalars.length === 0) return;
    this.append({ wallTime: this.now(), step, scalars: [...scalars] });
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
