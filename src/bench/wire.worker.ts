// One side of the wire benchmark in a Bun worker (src/bench/wire-endpoint.ts).
import { wireEndpoint, type WireData } from "./wire-endpoint.ts";

const scope = globalThis as unknown as { postMessage(d: unknown, t?: ArrayBuffer[]): void; onmessage: ((ev: MessageEvent) => void) | null };
const handle = wireEndpoint((d) => ("e" in d ? scope.postMessage(d, [d.e.buffer as ArrayBuffer]) : scope.postMessage(d)));
scope.onmessage = (ev) => handle(ev.data as WireData);
