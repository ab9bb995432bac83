// The parent's handle on one sandbox subprocess: spawns it with no environment, an empty working
// directory, OS limits and (where the kernel allows) no network namespace; sends it one job at a
// time; kills it when a job overruns. A killed or crashed runtime is dead and the pool replaces it.

import * as fs from "node:fs";
import * as path from "node:path";
import type { ExecLimits, ExecRequest, Verdict, ExecErrorKind } from "../types.ts";
import type { Runtime } from "../pool.ts";
import type { HostConfig, HostMessage, ParentMessage } from "./host.ts";
import { isolationPrefix } from "../isolation.ts";

/** Directory of the pyodide npm package: its wasm, stdlib zip and lock file load from here, never from a CDN. */
export function pyodideIndexURL(): string {
  return path.dirname(require.resolve("pyodide/package.json")) + path.sep;
}

/**
 * RLIMIT_DATA of the subprocess. A backstop only: below about 2 GiB JSC cannot reserve its JIT
 * pools and falls back to the interpreter (boot went from 4 s to 100 s), so the tight limit is the
 * wasm heap cap in the worker plus the RSS watchdog below.
 */
const PROCESS_DATA_LIMIT_MB = 4096;
/** RSS the subprocess may use beyond the wasm heap cap (Bun, JSC heaps, wasm code) before the watchdog kills it. */
const RSS_OVERHEAD_MB = 768;
const WATCH_EVERY_MS = 100;

export interface PyodideRuntimeOptions {
  limits: ExecLimits;
  banned: readonly string[];
  /** Working directory of the subprocess: an empty directory owned by the pool. */
  cwd: string;
}

type Pending = {
  id: number;
  resolve: (v: Verdict) => void;
  timer: ReturnType<typeof setTimeout>;
  watch: ReturnType<typeof setInterval>;
  t0: number;
};

/** Resident set of a process in MiB from /proc, or undefined where /proc is not there. */
export function residentMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class PyodideRuntime implements Runtime {
  readonly ready: Promise<number>;
  private proc: ReturnType<typeof Bun.spawn>;
  private pending: Pending | undefined;
  private nextId = 1;
  private dead = false;
  private stderrTail = "";
  private readonly opts: PyodideRuntimeOptions;

  constructor(opts: PyodideRuntimeOptions) {
    this.opts = opts;
    const config: HostConfig = { indexURL: pyodideIndexURL(), memoryMb: opts.limits.memoryMb };
    const host = new URL("./host.ts", import.meta.url).pathname;
    const dataKb = PROCESS_DATA_LIMIT_MB * 1024;
    // sh applies the rlimits and then execs: RLIMIT_DATA bounds what the process maps writable;
    // RLIMIT_FSIZE=0 makes any write to a regular file fail (SIGXFSZ), even after an escape.
    const cmd = [
      "/bin/sh",
      "-c",
      `ulimit -d ${dataKb} && ulimit -f 0 && exec "$@"`,
      "sandbox",
      ...isolationPrefix(),
      process.execPath,
      host,
      JSON.stringify(config),
    ];
    let onReady: (ms: number) => void = () => {};
    let onBootFail: (e: Error) => void = () => {};
    this.ready = new Promise<number>((res, rej) => {
      onReady = res;
      onBootFail = rej;
    });
    this.ready.catch(() => {}); // observed by the pool; avoid an unhandled rejection when nobody waits
    this.proc = Bun.spawn({
      cmd,
      env: {},
      cwd: opts.cwd,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
      serialization: "json",
      ipc: (raw) => {
        const m = raw as HostMessage;
        if (m.type === "ready") onReady(m.bootMs);
        else if (m.type === "result") this.settle(m.id, this.toVerdict(m.verdict, m.memoryHit, m.timeMs));
        else {
          onBootFail(new Error(m.message));
          this.die("crashed", m.message);
        }
      },
      onExit: (_p, code, signal) => {
        const why = `sandbox process exited (code ${code ?? "none"}, signal ${signal ?? "none"})${this.stderrTail ? `: ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}` : ""}`;
        onBootFail(new Error(why));
        this.die("crashed", why);
      },
    });
    void this.drainStderr();
  }

  get alive(): boolean {
    return !this.dead;
  }

  run(request: ExecRequest): Promise<Verdict> {
    if (this.dead) return Promise.resolve(errorVerdict("crashed", "runtime is dead", 0));
    if (this.pending) throw new Error("PyodideRuntime.run: a job is already running");
    const { limits, banned } = this.opts;
    const id = this.nextId++;
    const payload = JSON.stringify({ ...request, banned, outputBytes: limits.outputBytes });
    return new Promise<Verdict>((resolve) => {
      const t0 = performance.now();
      const timer = setTimeout(() => {
        this.settle(id, errorVerdict("timeout", `killed after ${limits.timeoutMs + limits.killGraceMs} ms (ignored the interrupt)`, performance.now() - t0));
        this.kill();
      }, limits.timeoutMs + limits.killGraceMs);
      const rssCap = limits.memoryMb + RSS_OVERHEAD_MB;
      const watch = setInterval(() => {
        const rss = residentMb(this.proc.pid);
        if (rss !== undefined && rss > rssCap) {
          this.settle(id, errorVerdict("memory", `sandbox process used ${Math.round(rss)} MiB (limit ${rssCap} MiB)`, performance.now() - t0));
          this.kill();
        }
      }, WATCH_EVERY_MS);
      this.pending = { id, resolve, timer, watch, t0 };
      const msg: ParentMessage = { type: "job", id, request: payload, timeoutMs: limits.timeoutMs };
      this.proc.send(msg);
    });
  }

  kill(): void {
    this.dead = true;
    try {
      this.proc.kill(9);
    } catch {
      // already gone
    }
  }

  private settle(id: number, verdict: Verdict): void {
    const p = this.pending;
    if (!p || p.id !== id) return;
    clearTimeout(p.timer);
    clearInterval(p.watch);
    this.pending = undefined;
    p.resolve(verdict);
  }

  private die(kind: ExecErrorKind, message: string): void {
    const p = this.pending;
    if (p) this.settle(p.id, errorVerdict(kind, message, performance.now() - p.t0));
    this.kill();
  }

  private toVerdict(json: string, memoryHit: boolean, timeMs: number): Verdict {
    let v: Verdict;
    try {
      v = { ...(JSON.parse(json) as Omit<Verdict, "timeMs">), timeMs } as Verdict;
    } catch {
      return errorVerdict("crashed", "unreadable verdict from the sandbox", timeMs);
    }
    // A program that catches MemoryError still hit the cap: report it, the output is not trustworthy.
    if (memoryHit && (v.ok || v.error.kind === "exception" || v.error.kind === "memory")) {
      return errorVerdict("memory", `exceeded the ${this.opts.limits.memoryMb} MiB memory limit`, timeMs, v.stdout);
    }
    return v;
  }

  private async drainStderr(): Promise<void> {
    const stream = this.proc.stderr;
    if (!stream || typeof stream === "number") return;
    const decoder = new TextDecoder();
    for await (const chunk of stream as ReadableStream<Uint8Array>) {
      this.stderrTail = (this.stderrTail + decoder.decode(chunk)).slice(-2000);
    }
  }
}

export function errorVerdict(kind: ExecErrorKind, message: string, timeMs: number, stdout?: string): Verdict {
  return stdout ? { ok: false, error: { kind, message }, timeMs, stdout } : { ok: false, error: { kind, message }, timeMs };
}
