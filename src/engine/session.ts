import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkCuda, cudaMissing } from "./cuda/libraries.ts";
import { preloadCudaLibraries } from "./cuda/preload.ts";
// Imported once per process: Bun's N-API teardown has crashed when ORT was loaded repeatedly.
import * as ort from "onnxruntime-node";
import type { DType } from "./dtype.ts";
import type { Graph, ModelParts } from "./graph.ts";

export type Device = "cpu" | "cuda";
export type OptimizationLevel = "disabled" | "basic" | "extended" | "all";
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A tensor on the host: what goes into and comes out of a run. */
export interface HostTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export interface SessionOptions {
  readonly device?: Device;
  /**
   * Bit-identical results run to run on the CPU: fixed intra-op threads (`threads`, default
   * DETERMINISTIC_THREADS, never the machine's core count), one inter-op thread, sequential
   * execution and a fixed optimization level.
   */
  readonly deterministic?: boolean;
  /** Intra-op threads; default: ORT's choice (one per core), or DETERMINISTIC_THREADS when deterministic. */
  readonly threads?: number;
  readonly optimization?: OptimizationLevel;
  /** Writes ORT's chrome-trace profile to `<prefix>_<date>.json` when the session ends. */
  readonly profilePrefix?: string;
  readonly cudaDeviceId?: number;
  /**
   * ORT's CPU memory arena (default on). Off, a session returns its activations after each run
   * instead of keeping its peak for good: for large shape buckets (a GRPO step over 64 × 512
   * tokens holds gigabytes of logits and their gradients) kept arenas add up across buckets.
   */
  readonly memArena?: boolean;
}

/** ORT takes in-memory external data only below 2 GiB per tensor; larger ones are mapped from a file. */
export const ORT_IN_MEMORY_LIMIT = 2 ** 31;

/** Writes the model and its external data to a fresh temporary folder, for ORT to load by path. */
function spillToFolder(parts: ModelParts): string {
  const dir = mkdtempSync(join(tmpdir(), "spz-model-"));
  try {
    writeFileSync(join(dir, "model.onnx"), parts.model);
    for (const f of parts.externalData) writeFileSync(join(dir, f.path), f.data);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const gib = (parts.externalData.reduce((n, f) => n + f.data.byteLength, 0) / 2 ** 30).toFixed(2);
    throw new Error(`session: a weight of 2 GiB or more goes to ORT through a file, and writing ${gib} GiB to ${dir} failed: ${oneLine(e)} (set TMPDIR to a folder with room)`);
  }
  return dir;
}

/** Fixed so recordings replay bit-exactly on machines with other core counts. */
export const DETERMINISTIC_THREADS = 2;

/** The device was asked for and cannot be used; the message is one line naming the reason. */
export class DeviceUnavailableError extends Error {
  override readonly name = "DeviceUnavailableError";
  /** The user asked for something this machine cannot give: exit code 2, like other bad input. */
  readonly exitCode = 2;
}

export function hostTensor(dtype: DType, dims: readonly number[], data: TensorData): HostTensor {
  return { dtype, dims, data };
}

let cudaReady: string | undefined | null = null;

/**
 * Why the CUDA EP cannot load here (one line: the missing provider library, CUDA library or device),
 * or undefined when everything it needs was found (src/engine/cuda/libraries.ts).
 */
export function cudaUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `ORT's CUDA execution provider is set up here for Linux only, not ${process.platform}`;
  return cudaMissing(checkCuda());
}

/** Checks once per process, then opens the CUDA libraries by path for ORT's provider to find. */
function ensureCuda(): string | undefined {
  if (cudaReady !== null) return cudaReady;
  const reason = cudaUnavailableReason();
  if (!reason) {
    try {
      preloadCudaLibraries(checkCuda());
    } catch (e) {
      return (cudaReady = `CUDA libraries found but not loadable: ${oneLine(e)}`);
    }
  }
  return (cudaReady = reason);
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n").map((s) => s.trim()).filter(Boolean).join(" | ");
}

/**
 * Bytes of one run's host feeds and fetched outputs. On the CUDA EP each crosses PCIe (feeds to the
 * device, outputs back; the few inputs ORT keeps on the CPU, such as shapes, are counted too).
 */
export interface RunTransfer {
  readonly fedBytes: number;
  readonly fetchedBytes: number;
}

const bytesOf = (ts: Iterable<{ readonly data: { readonly byteLength: number } }>) => {
  let n = 0;
  for (const t of ts) n += t.data.byteLength;
  return n;
};

/** One ORT session over one model; `run` blocks this thread until ORT returns. */
export class EngineSession {
  /** What the latest run moved in and out (zero before the first). */
  lastTransfer: RunTransfer = { fedBytes: 0, fetchedBytes: 0 };

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly device: Device,
    readonly options: SessionOptions,
    readonly modelBytes: number,
  ) {}

  /**
   * A session over serialized bytes, a graph (its large initializers go to ORT as in-memory ONNX
   * external data: no protobuf copy, no 2 GiB limit) or already split parts.
   */
  static async create(model: Uint8Array | Graph | ModelParts, options: SessionOptions = {}): Promise<EngineSession> {
    const parts: ModelParts = model instanceof Uint8Array ? { model, externalData: [] } : "toModelParts" in model ? model.toModelParts() : model;
    const bytes = parts.model;
    const device = options.device ?? "cpu";
    const o: ort.InferenceSession.SessionOptions = {
      executionProviders: device === "cuda" ? [{ name: "cuda", deviceId: options.cudaDeviceId ?? 0 }] : ["cpu"],
      graphOptimizationLevel: options.optimization ?? "all",
      enableCpuMemArena: options.memArena ?? true,
      enableMemPattern: true,
    };
    const threads = options.threads ?? (options.deterministic ? DETERMINISTIC_THREADS : undefined);
    if (threads !== undefined) Object.assign(o, { intraOpNumThreads: threads });
    if (options.deterministic) Object.assign(o, { interOpNumThreads: 1, executionMode: "sequential" });
    if (options.profilePrefix) Object.assign(o, { enableProfiling: true, profileFilePrefix: options.profilePrefix });
    // ORT copies in-memory external data while it creates the session (onto the device for CUDA),
    // then lets go of it. It refuses one of 2 GiB or more that way, but maps it from a file.
    if (device === "cuda") {
      const reason = ensureCuda();
      if (reason) throw new DeviceUnavailableError(`--device cuda: ${reason}`);
    }
    // After the device check, so a refused device leaves no folder behind.
    const spill = parts.externalData.some((f) => f.data.byteLength >= ORT_IN_MEMORY_LIMIT) ? spillToFolder(parts) : undefined;
    if (!spill && parts.externalData.length) Object.assign(o, { externalData: parts.externalData.map((f) => ({ path: f.path, data: f.data })) });
    try {
      const session = spill ? await ort.InferenceSession.create(join(spill, "model.onnx"), o) : await ort.InferenceSession.create(bytes, o);
      return new EngineSession(session, device, options, bytes.byteLength + parts.externalData.reduce((n, f) => n + f.data.byteLength, 0));
    } catch (e) {
      if (device === "cuda") throw new DeviceUnavailableError(`--device cuda: ORT could not create the CUDA session: ${oneLine(e)}`);
      throw e;
    } finally {
      // Linux keeps a mapped file's pages after the unlink.
      if (spill) rmSync(spill, { recursive: true, force: true });
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Readonly<Record<string, HostTensor>>, outputs?: readonly string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.dtype, t.data, t.dims);
    const res = outputs ? await this.session.run(ortFeeds, outputs as string[]) : await this.session.run(ortFeeds);
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(res)) {
      out[name] = { dtype: t.type as DType, dims: t.dims, data: t.data as TensorData };
    }
    this.lastTransfer = { fedBytes: bytesOf(Object.values(feeds)), fetchedBytes: bytesOf(Object.values(out)) };
    return out;
  }

  /** Stops profiling and returns the trace file ORT wrote, when it can be found. */
  endProfiling(): string | undefined {
    this.session.endProfiling();
    const prefix = this.options.profilePrefix;
    if (!prefix) return undefined;
    const dir = dirname(prefix) || ".";
    const base = prefix.slice(dir.length + 1);
    const files = readdirSync(dir)
      .filter((f) => f.startsWith(base) && f.endsWith(".json"))
      .sort();
    return files.length ? join(dir, files[files.length - 1]) : undefined;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Sessions keyed by a caller-chosen key (a graph kind plus shape bucket), built on first use. */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<EngineSession>>();

  constructor(readonly options: SessionOptions = {}) {}

  get(key: string, build: () => Graph | Uint8Array | ModelParts): Promise<EngineSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = EngineSession.create(build(), this.options);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  get size(): number {
    return this.sessions.size;
  }

  private bindingKey?: string;

  /**
   * Called with the weight binding's key before each use: when it differs from the last one, the
   * sessions built under the last one (keys `<last>:...`) hold weights that are gone and are released.
   */
  async rebind(key: string): Promise<void> {
    const last = this.bindingKey;
    this.bindingKey = key;
    if (last !== undefined && last !== key) await this.releaseWhere((k) => k.startsWith(`${last}:`));
  }

  /** Releases and forgets the sessions whose key matches (a binding's sessions for weights that changed). */
  async releaseWhere(match: (key: string) => boolean): Promise<void> {
    const gone = [...this.sessions.entries()].filter(([k]) => match(k));
    for (const [k] of gone) this.sessions.delete(k);
    for (const [, s] of gone) await (await s).release();
  }

  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
  }
}
