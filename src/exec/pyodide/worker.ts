// Runs pyodide inside the sandbox subprocess, on a worker thread so the subprocess's main thread
// stays free to raise the interrupt flag at the time limit. Before the first user job it cuts every
// path from Python to JavaScript and strips this thread's JS realm, so that even a Python escape
// that reaches a JS object finds no globals, no Function constructor and no eval.

import { loadPyodide, type PyodideAPI } from "pyodide";
import * as fs from "node:fs";

export interface WorkerInit {
  type: "init";
  indexURL: string;
  /** The interrupt flag shared with the subprocess's main thread (pyodide reads it as SIGINT). */
  interrupt: SharedArrayBuffer;
  memoryMb: number;
}
export interface WorkerJob {
  type: "job";
  id: number;
  request: string;
}
export type WorkerReply =
  | { type: "ready"; bootMs: number; heapMb: number }
  | { type: "result"; id: number; verdict: string; memoryHit: boolean }
  | { type: "fatal"; message: string };

declare const self: Worker;

// The heap cap. Emscripten grows the heap through Memory.prototype.grow; refusing it makes malloc
// fail, which Python raises as MemoryError. Captured before pyodide loads, unreachable afterwards.
const realGrow = WebAssembly.Memory.prototype.grow;
let capBytes = Number.POSITIVE_INFINITY;
let memoryHit = false;
WebAssembly.Memory.prototype.grow = function grow(this: WebAssembly.Memory, delta: number): number {
  if (this.buffer.byteLength + delta * 65536 > capBytes) {
    memoryHit = true;
    throw new RangeError("sandbox memory cap");
  }
  return realGrow.call(this, delta);
};

// Kept before stripRealm removes the globals (postMessage included, so an escape cannot forge a verdict).
const postMessageRef = self.postMessage.bind(self);
const post = (m: WorkerReply): void => postMessageRef(m);
const now = performance.now.bind(performance);
const harnessSource = fs.readFileSync(new URL("./harness.py", import.meta.url), "utf8");

type Handle = (requestJson: string) => string;

async function boot(init: WorkerInit): Promise<Handle> {
  const t0 = now();
  // jsglobals: the `js` module is an empty null-prototype object, not globalThis.
  const py: PyodideAPI = await loadPyodide({
    indexURL: init.indexURL,
    jsglobals: Object.create(null) as object,
    // `_` would otherwise carry this file's host path into os.environ.
    env: { PYTHONHASHSEED: "0", HOME: "/home/pyodide", _: "/bin/python" },
    stdout: () => {},
    stderr: () => {},
    packages: [],
    checkAPIVersion: true,
  });
  const scope = py.runPython("dict()");
  py.runPython(harnessSource, { globals: scope });
  py.unregisterJsModule("js");
  py.unregisterJsModule("pyodide_js");
  const handle = py.runPython("isolate()", { globals: scope }) as Handle;
  py.setInterruptBuffer(new Int32Array(init.interrupt));
  // Warm the paths a first job takes (parse, compile, repr) so the first verdict is not an outlier.
  handle(JSON.stringify({ op: "run", program: "def f(a):\n    return a", input: "1" }));
  const heapBytes = (py as unknown as { _module: { HEAPU8: Uint8Array } })._module.HEAPU8.byteLength;
  capBytes = Math.max(init.memoryMb * 1024 * 1024, heapBytes);
  readOnlyFs(py);
  emptyApi(py);
  stripRealm();
  post({ type: "ready", bootMs: now() - t0, heapMb: heapBytes / (1024 * 1024) });
  return handle;
}

/**
 * Makes pyodide's in-memory filesystem read-only for everything after boot: user code (and modules
 * like zipfile it may use) cannot create, change or delete files, so no state passes between jobs
 * through files. The host's filesystem is never mounted (no NODEFS) in the first place.
 */
function readOnlyFs(py: PyodideAPI): void {
  const FS = (py as unknown as { FS: Record<string, unknown> & { ErrnoError: new (errno: number) => Error } }).FS;
  const EROFS = (py as unknown as { ERRNO_CODES: Record<string, number> }).ERRNO_CODES.EROFS ?? 69;
  const refuse = (): never => {
    throw new FS.ErrnoError(EROFS);
  };
  for (const op of ["mkdir", "mknod", "rmdir", "unlink", "rename", "symlink", "truncate", "ftruncate", "chmod", "fchmod", "lchmod", "chown", "fchown", "lchown", "utime", "writeFile", "mount", "unmount", "createNode", "mkdev"]) {
    if (typeof FS[op] === "function") FS[op] = refuse;
  }
  const open = FS.open as (path: unknown, flags: unknown, mode?: unknown) => unknown;
  // O_WRONLY|O_RDWR are the low two bits; O_CREAT 64, O_TRUNC 512, O_APPEND 1024 (musl values).
  FS.open = (path: unknown, flags: unknown, mode?: unknown) => {
    const writes = typeof flags === "string" ? flags !== "r" : typeof flags === "number" && ((flags & 3) !== 0 || (flags & (64 | 512 | 1024)) !== 0);
    if (writes) refuse();
    return open(path, flags, mode);
  };
}

/** Deletes every member of the pyodide API object (FS, mountNodeFS, _module, loadPackage, ...) in case Python reaches it. */
function emptyApi(py: PyodideAPI): void {
  const api = py as unknown as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(api)) {
    try {
      delete api[key];
    } catch {
      // non-configurable: leave it
    }
  }
  Object.setPrototypeOf(api, null);
}

/** Removes host capabilities from this thread's globals and makes new JS code uncompilable. */
function stripRealm(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  const names = [
    "Bun", "process", "require", "module", "exports", "fetch", "WebSocket", "Worker", "navigator", "eval",
    "Request", "Response", "Headers", "XMLHttpRequest", "EventSource", "importScripts", "Buffer", "Deno",
    "BroadcastChannel", "MessageChannel", "SharedWorker", "crypto", "performance", "setTimeout", "setInterval",
    "setImmediate", "queueMicrotask", "__dirname", "__filename", "Loader", "ShadowRealm", "postMessage",
    "addEventListener", "removeEventListener", "close",
  ];
  // `Bun` itself is non-configurable; empty it instead. A few members (fetch, dns, env) are
  // non-configurable too and stay: env is empty and the network namespace covers fetch/dns.
  const bun = g.Bun as Record<string | symbol, unknown> | undefined;
  if (bun) {
    for (const key of Reflect.ownKeys(bun)) {
      try {
        delete bun[key];
      } catch {
        // non-configurable: blank the value below if it is writable
      }
      if (bun[key] !== undefined) {
        try {
          Object.defineProperty(bun, key, { value: undefined });
        } catch {
          // non-configurable and read-only
        }
      }
    }
  }
  for (const name of names) {
    if (name === "Bun") continue;
    try {
      delete g[name];
    } catch {
      // fall through to overwrite
    }
    if (name in g) {
      try {
        Object.defineProperty(g, name, { value: undefined, writable: false, configurable: false });
      } catch {
        // non-configurable and non-writable: nothing more to do from JS
      }
    }
  }
  // Every function's .constructor leads to a Function constructor that compiles strings.
  const ctors = [
    function () {}.constructor,
    async function () {}.constructor,
    function* () {}.constructor,
    async function* () {}.constructor,
  ];
  for (const ctor of ctors) {
    Object.defineProperty((ctor as { prototype: object }).prototype, "constructor", {
      value: undefined,
      writable: false,
      configurable: false,
    });
  }
  // Fail closed: pyodide's os.system calls require("node:child_process") and emscripten_run_script
  // calls eval, so a realm that still has these must not run user code.
  for (const name of ["process", "require", "eval", "fetch", "postMessage"]) {
    if (g[name] !== undefined) throw new Error(`could not remove ${name} from the sandbox realm`);
  }
  const bunLeft = g.Bun as Record<string, unknown> | undefined;
  for (const name of ["spawn", "spawnSync", "file", "write", "connect", "listen", "serve", "$", "FFI", "mmap", "udpSocket", "sql"]) {
    if (bunLeft?.[name] !== undefined) throw new Error(`could not remove Bun.${name} from the sandbox realm`);
  }
  // pyodide's proxies test `x instanceof Function`, so the global stays, as a stub that keeps the
  // prototype (instanceof still works) but refuses to compile anything.
  const stub = function Function(): never {
    throw new TypeError("code generation is disabled in the sandbox");
  };
  stub.prototype = Function.prototype;
  Object.defineProperty(g, "Function", { value: stub, writable: false, configurable: false });
}

let handle: Handle | undefined;
self.onmessage = (event: MessageEvent<WorkerInit | WorkerJob>) => {
  const msg = event.data;
  if (msg.type === "init") {
    boot(msg).then(
      (h) => {
        handle = h;
      },
      (e: unknown) => post({ type: "fatal", message: `boot failed: ${String(e)} ${(e as Error).stack ?? ""}` }),
    );
    return;
  }
  if (!handle) {
    post({ type: "fatal", message: "job before ready" });
    return;
  }
  memoryHit = false;
  let verdict: string;
  try {
    verdict = handle(msg.request);
  } catch (e) {
    // A JS-level failure (wasm stack overflow, pyodide fatal error): the runtime may be corrupt.
    post({ type: "fatal", message: String(e).slice(0, 500) });
    return;
  }
  post({ type: "result", id: msg.id, verdict, memoryHit });
};
