// Entry point of one sandbox subprocess (spawned by runtime.ts with an empty environment, an
// empty working directory and OS resource limits). Its main thread only relays jobs between the
// parent (IPC) and the pyodide worker, and raises the interrupt flag at each job's time limit; the
// parent kills the whole process if the program ignores the interrupt.

import type { WorkerInit, WorkerJob, WorkerReply } from "./worker.ts";

export interface HostConfig {
  indexURL: string;
  memoryMb: number;
}
export type ParentMessage = { type: "job"; id: number; request: string; timeoutMs: number };
export type HostMessage =
  | { type: "ready"; bootMs: number; heapMb: number }
  | { type: "result"; id: number; verdict: string; memoryHit: boolean; timeMs: number }
  | { type: "fatal"; message: string };

const send = (m: HostMessage): void => {
  process.send!(m);
};

const config = JSON.parse(process.argv[2] ?? "{}") as HostConfig;
const interrupt = new SharedArrayBuffer(4);
const flag = new Int32Array(interrupt);
const worker = new Worker(new URL("./worker.ts", import.meta.url).href);

let current: { id: number; t0: number; timer: ReturnType<typeof setTimeout> } | undefined;

worker.onmessage = (event: MessageEvent<WorkerReply>) => {
  const m = event.data;
  if (m.type === "ready") {
    send(m);
  } else if (m.type === "result") {
    if (!current || current.id !== m.id) return;
    clearTimeout(current.timer);
    const timeMs = performance.now() - current.t0;
    current = undefined;
    send({ type: "result", id: m.id, verdict: m.verdict, memoryHit: m.memoryHit, timeMs });
  } else {
    send(m);
    process.exit(1);
  }
};
worker.onerror = (e: ErrorEvent) => {
  send({ type: "fatal", message: `worker error: ${e.message}` });
  process.exit(1);
};

process.on("message", (raw: unknown) => {
  const m = raw as ParentMessage;
  if (m.type !== "job" || current) return;
  Atomics.store(flag, 0, 0);
  // pyodide polls the flag between bytecodes; 2 is SIGINT, raised in Python as KeyboardInterrupt.
  const timer = setTimeout(() => Atomics.store(flag, 0, 2), m.timeoutMs);
  current = { id: m.id, t0: performance.now(), timer };
  worker.postMessage({ type: "job", id: m.id, request: m.request } satisfies WorkerJob);
});
process.on("disconnect", () => process.exit(0));

worker.postMessage({ type: "init", indexURL: config.indexURL, interrupt, memoryMb: config.memoryMb } satisfies WorkerInit);
