// The Python executor: a pool of pyodide subprocess runtimes.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RuntimePool } from "./pool.ts";
import { PyodideRuntime } from "./pyodide/runtime.ts";
import { DEFAULT_LIMITS, DETERMINISM_BANNED, type Executor, type ExecutorOptions, type ExecLimits } from "./types.ts";

/** Default pool size: one runtime per core, leaving the trainer a core on small machines. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - (os.availableParallelism() > 2 ? 1 : 0)));
}

export function resolveLimits(partial?: Partial<ExecLimits>): ExecLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`exec limit ${k} must be a positive number, got ${String(v)}`);
  }
  return limits;
}

/**
 * Starts a pool of sandboxed Python runtimes (pyodide from node_modules, no network needed).
 * Runtimes boot in the background; jobs queue until one is ready. `bannedModules` defaults to
 * DETERMINISM_BANNED; the sandbox's own list (JS bridge, ctypes, import machinery, I/O) always applies.
 */
export function createPythonExecutor(options: ExecutorOptions = {}): Executor & { warm(): Promise<void> } {
  const limits = resolveLimits(options.limits);
  const banned = [...(options.bannedModules ?? DETERMINISM_BANNED)];
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-"));
  return new RuntimePool({
    language: "python",
    limits,
    size: options.poolSize ?? defaultPoolSize(),
    factory: () => new PyodideRuntime({ limits, banned, cwd }),
    onClose: () => fs.rmSync(cwd, { recursive: true, force: true }),
  });
}
