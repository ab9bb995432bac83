// A pool of warm sandbox runtimes behind the Executor interface. Each runtime runs one job at a
// time; a runtime that dies (killed at the time limit, crashed) is replaced at once so the pool
// refills while the remaining runtimes keep serving the queue.

import type { ExecLimits, ExecRequest, Executor, ExecutorStats, Verdict } from "./types.ts";

/** One sandbox instance (a subprocess, a wasm instance, ...). */
export interface Runtime {
  /** Resolves with the cold start in ms; rejects if it never became ready. */
  readonly ready: Promise<number>;
  /** False once killed or crashed; a dead runtime is never given another job. */
  readonly alive: boolean;
  /** Runs one job; never rejects (failures are verdicts). Only one job at a time. */
  run(request: ExecRequest): Promise<Verdict>;
  kill(): void;
}

type Waiter = { request: ExecRequest; resolve: (v: Verdict) => void };

/** Consecutive boot failures after which the pool stops retrying and fails jobs instead. */
const MAX_BOOT_FAILURES = 3;

export class RuntimePool implements Executor {
  readonly language: "python" | "javascript";
  readonly limits: Readonly<ExecLimits>;
  private readonly factory: () => Runtime;
  private readonly idle: Runtime[] = [];
  private readonly all = new Set<Runtime>();
  private readonly queue: Waiter[] = [];
  private closed = false;
  private broken: string | undefined;
  private bootFailures = 0;
  private lastBootError = "";
  private counters = { jobs: 0, starts: 0, kills: 0, startMsTotal: 0, started: 0 };
  private readonly onClose: () => void;

  constructor(opts: {
    language: "python" | "javascript";
    limits: ExecLimits;
    size: number;
    factory: () => Runtime;
    onClose?: () => void;
  }) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error(`pool size must be an integer >= 1, got ${opts.size}`);
    this.language = opts.language;
    this.limits = Object.freeze({ ...opts.limits });
    this.factory = opts.factory;
    this.onClose = opts.onClose ?? (() => {});
    for (let i = 0; i < opts.size; i++) this.spawn();
  }

  /** Resolves when every runtime has booted once (useful before timing). */
  async warm(): Promise<void> {
    await Promise.all([...this.all].map((r) => r.ready.catch(() => 0)));
  }

  run(request: ExecRequest): Promise<Verdict> {
    if (this.closed || this.broken) {
      return Promise.resolve({ ok: false, error: { kind: "crashed", message: this.broken ?? "executor is closed" }, timeMs: 0 });
    }
    return new Promise((resolve) => {
      this.queue.push({ request, resolve });
      this.pump();
    });
  }

  runBatch(requests: readonly ExecRequest[]): Promise<Verdict[]> {
    return Promise.all(requests.map((r) => this.run(r)));
  }

  stats(): ExecutorStats {
    const c = this.counters;
    return { jobs: c.jobs, starts: c.starts, kills: c.kills, meanStartMs: c.started ? c.startMsTotal / c.started : 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.resolve({ ok: false, error: { kind: "crashed", message: "executor is closed" }, timeMs: 0 });
    for (const r of this.all) r.kill();
    this.all.clear();
    this.idle.length = 0;
    this.onClose();
  }

  private spawn(): void {
    if (this.closed) return;
    const r = this.factory();
    this.all.add(r);
    this.counters.starts++;
    r.ready.then(
      (ms) => {
        this.bootFailures = 0;
        this.counters.started++;
        this.counters.startMsTotal += ms;
        if (this.closed) return r.kill();
        this.idle.push(r);
        this.pump();
      },
      (e: unknown) => {
        this.all.delete(r);
        this.bootFailures++;
        this.lastBootError = e instanceof Error ? e.message : String(e);
        if (this.bootFailures >= MAX_BOOT_FAILURES) this.failQueue();
        else this.spawn();
      },
    );
  }

  /** The environment cannot start runtimes: fail what waits and everything after, rather than hang. */
  private failQueue(): void {
    this.broken = `sandbox runtime failed to start ${this.bootFailures} times in a row: ${this.lastBootError}`;
    for (const w of this.queue.splice(0)) w.resolve({ ok: false, error: { kind: "crashed", message: this.broken }, timeMs: 0 });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const r = this.idle.pop()!;
      if (!r.alive) {
        this.replace(r);
        continue;
      }
      const w = this.queue.shift()!;
      this.counters.jobs++;
      void r.run(w.request).then((v) => {
        w.resolve(v);
        if (r.alive && !this.closed) this.idle.push(r);
        else this.replace(r);
        this.pump();
      });
    }
  }

  private replace(r: Runtime): void {
    if (!this.all.delete(r)) return;
    this.counters.kills++;
    r.kill();
    this.spawn();
  }
}
