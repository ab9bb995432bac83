import { mkdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { Graph, type Node } from "../engine/graph.ts";
import { type DecoderConfig, countParams, decoderLoss, decoderParams } from "../engine/models.ts";
import { matmul, reduceSum } from "../engine/ops/index.ts";
import type { OptimizerConfig } from "../engine/optim.ts";
import { ParamLayout, normalFrom, xorshiftUniform } from "../engine/params.ts";
import { type Device, EngineSession, type HostTensor, hostTensor } from "../engine/session.ts";
import { TRAIN_IO, buildTrainGraph } from "../engine/train-step.ts";

export interface BenchOptions {
  readonly device?: Device;
  /** Tiny sizes: a smoke run for tests, not a measurement. */
  readonly quick?: boolean;
  /** Timed train steps after one warm-up step. */
  readonly steps?: number;
  /** Intra-op threads (default: ORT's choice, one per core). */
  readonly threads?: number;
  /** Directory for an ORT profile of one train step; the report then lists time per op type. */
  readonly profileDir?: string;
  /** Overrides the decoder shape. */
  readonly model?: Partial<DecoderConfig>;
  /** Side of the square GEMM used for the ceiling. */
  readonly gemmSize?: number;
  /** Which engine sections run (default: all three). */
  readonly sections?: readonly EngineSection[];
  /** Buffer of the bandwidth ceiling, MiB (default 256, quick 8): far beyond the caches. */
  readonly bandwidthMiB?: number;
}

/** Every section of `bun run bench`; the engine runs the first three, src/bench/model.ts the next two, src/bench/exec.ts exec. */
export const BENCH_SECTIONS = ["gemm", "bandwidth", "train", "generate", "model-train", "exec"] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];
export type EngineSection = "gemm" | "bandwidth" | "train";
/** exec is opt-in: pyodide boots slowly. */
export const DEFAULT_SECTIONS: readonly BenchSection[] = ["gemm", "bandwidth", "train", "generate", "model-train"];

/** Parses `--only a,b`: known names, no repeats; the ceilings a section is measured against are added. */
export function parseSections(only: string | undefined): BenchSection[] {
  if (only === undefined) return [...DEFAULT_SECTIONS];
  const want = new Set<BenchSection>();
  for (const raw of only.split(",")) {
    const name = raw.trim();
    if (!name) continue;
    if (!(BENCH_SECTIONS as readonly string[]).includes(name)) throw new RangeError(`unknown bench section "${name}"; accepted: ${BENCH_SECTIONS.join(", ")}`);
    want.add(name as BenchSection);
  }
  if (want.size === 0) throw new RangeError(`--only names no section; accepted: ${BENCH_SECTIONS.join(", ")}`);
  if (want.has("train") || want.has("model-train")) want.add("gemm");
  if (want.has("generate")) want.add("bandwidth");
  return BENCH_SECTIONS.filter((s) => want.has(s));
}

export interface BandwidthResult {
  /** Buffer size, bytes. */
  readonly bytes: number;
  /** ORT ReduceSum over the buffer: bytes read / best time (what a decode step's weight reads look like). */
  readonly ortReadGBs: number;
  /** Float32Array.set copy on the JS thread: (read + write) bytes / best time. */
  readonly copyGBs: number;
  /** The ceiling used for bounds: the better of the two. */
  readonly gbs: number;
  /** ReduceSum read rate over a cache-sized buffer (`cacheBytes`), for working sets that fit in L3. */
  readonly cacheBytes: number;
  readonly cacheReadGBs: number;
}

export interface GemmResult {
  readonly n: number;
  readonly bestMs: number;
  /** Best of the measurements taken before and after the train step. */
  readonly gflops: number;
  /** Each measurement (GFLOP/s); far apart means the machine was busy. */
  readonly samples: readonly number[];
  /** GFLOP per second of process CPU time (all ORT threads), best run: insensitive to other jobs taking the cores. */
  readonly gflopsPerCpuSec: number;
}

export interface OpTime {
  readonly op: string;
  readonly ms: number;
  readonly share: number;
}

export interface BenchReport {
  readonly device: Device;
  readonly cores: number;
  readonly threads: number | "default";
  readonly sections: readonly EngineSection[];
  readonly gemm?: GemmResult;
  readonly bandwidth?: BandwidthResult;
  readonly train?: {
    readonly model: DecoderConfig;
    readonly params: number;
    readonly tokens: number;
    readonly steps: number;
    readonly stepMsMedian: number;
    readonly stepMsBest: number;
    readonly tokensPerSec: number;
    /** Matmul FLOPs of one step, counted from the graph's MatMul/Gemm nodes. */
    readonly gflopPerStep: number;
    readonly gflops: number;
    readonly ratioToCeiling: number;
    /** Process CPU time (user + system, all threads) of the median step. */
    readonly cpuMsMedian: number;
    /** Matmul GFLOP per CPU-second of the step (spin-waits count as CPU time, so this is a lower bound). */
    readonly gflopsPerCpuSec: number;
    /** gflopsPerCpuSec over the ceiling's: how much of the GEMM rate the step's work achieves, whatever else runs. */
    readonly cpuRatioToCeiling: number;
    readonly graphBuildMs: number;
    readonly sessionCreateMs: number;
    readonly graphNodes: number;
    readonly modelBytes: number;
    readonly lossFirst: number;
    readonly lossLast: number;
  };
  readonly profile?: { readonly file: string; readonly topOps: readonly OpTime[] };
  /** 1-minute load average before and after the run: above the core count, other jobs shared the cores. */
  readonly loadAverage: readonly [number, number];
}

export const BENCH_MODEL: DecoderConfig = { vocab: 4096, dim: 512, layers: 4, heads: 8, ffn: 1536, batch: 16, seq: 256 };
const QUICK_MODEL: DecoderConfig = { vocab: 64, dim: 32, layers: 1, heads: 2, ffn: 64, batch: 2, seq: 16 };
const OPTIMIZER: OptimizerConfig = { kind: "adamw", weightDecay: 0.1, clipNorm: 1 };

/** 2*M*N*K of a MatMul or Gemm node with static shapes (0 when a dim is symbolic). */
export function matmulFlops(node: Node): number {
  const [a] = node.inputs;
  const out = node.outputs[0];
  let k: number | string;
  if (node.op.type === "MatMul") k = a.shape[a.rank - 1];
  else if (node.op.type === "Gemm") k = node.intAttr("transA", 0) ? a.shape[0] : a.shape[1];
  else return 0;
  let n = typeof k === "number" ? 2 * k : 0;
  for (const d of out.shape) n *= typeof d === "number" ? d : 0;
  return n;
}

export function graphMatmulFlops(g: Graph): number {
  return g.liveNodes().reduce((s, n) => s + matmulFlops(n), 0);
}

const now = () => performance.now();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measureGemm(n: number, opts: BenchOptions): Promise<GemmResult> {
  const g = new Graph("gemm");
  const a = g.input("a", "float32", [n, n]);
  const b = g.input("b", "float32", [n, n]);
  g.output(matmul(a, b), "c");
  const s = await EngineSession.create(g, { device: opts.device, threads: opts.threads });
  const u = xorshiftUniform(3);
  const data = () => Float32Array.from({ length: n * n }, () => u() - 0.5);
  const feeds = { a: hostTensor("float32", [n, n], data()), b: hostTensor("float32", [n, n], data()) };
  await s.run(feeds);
  let best = Infinity;
  let bestCpu = Infinity;
  const reps = opts.quick ? 2 : 5;
  for (let i = 0; i < reps; i++) {
    const c0 = cpuMs();
    const t0 = now();
    await s.run(feeds);
    best = Math.min(best, now() - t0);
    bestCpu = Math.min(bestCpu, cpuMs() - c0);
  }
  await s.release();
  const gflops = (2 * n * n * n) / (best * 1e6);
  return { n, bestMs: best, gflops, samples: [gflops], gflopsPerCpuSec: (2 * n * n * n) / (bestCpu * 1e6) };
}

async function readRate(bytes: number, reps: number, opts: BenchOptions): Promise<number> {
  const n = Math.floor(bytes / 4);
  const g = new Graph("bandwidth");
  g.output(reduceSum(g.input("x", "float32", [n]), [0]), "s");
  const s = await EngineSession.create(g, { device: opts.device, threads: opts.threads });
  const feeds = { x: hostTensor("float32", [n], new Float32Array(n).fill(1)) };
  await s.run(feeds);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    await s.run(feeds);
    best = Math.min(best, now() - t0);
  }
  await s.release();
  return (4 * n) / (best * 1e6);
}

/** Memory-bandwidth ceiling: best of an ORT read pass and a JS copy over a buffer far beyond the caches. */
export async function measureBandwidth(opts: BenchOptions = {}): Promise<BandwidthResult> {
  const bytes = (opts.bandwidthMiB ?? (opts.quick ? 8 : 256)) * 1024 * 1024;
  const reps = opts.quick ? 3 : 10;
  const ortReadGBs = await readRate(bytes, reps, opts);
  const n = Math.floor(bytes / 4);
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  dst.set(src);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    dst.set(src);
    best = Math.min(best, now() - t0);
  }
  const copyGBs = (2 * 4 * n) / (best * 1e6);
  const cacheBytes = 8 * 1024 * 1024;
  const cacheReadGBs = await readRate(cacheBytes, opts.quick ? 3 : 30, opts);
  return { bytes: 4 * n, ortReadGBs, copyGBs, gbs: Math.max(ortReadGBs, copyGBs), cacheBytes, cacheReadGBs };
}

function summarizeProfile(file: string): OpTime[] {
  interface TraceEvent {
    cat?: string;
    dur?: number;
    args?: { op_name?: string };
  }
  const events = JSON.parse(readFileSync(file, "utf8")) as TraceEvent[];
  const byOp = new Map<string, number>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== "Node" || !e.args?.op_name || e.dur === undefined) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
    total += e.dur;
  }
  return [...byOp.entries()]
    .map(([op, us]) => ({ op, ms: us / 1000, share: total ? us / total : 0 }))
    .sort((x, y) => y.ms - x.ms)
    .slice(0, 12);
}

function tokenFeeds(c: DecoderConfig): Record<string, HostTensor> {
  const n = c.batch * c.seq;
  const u = xorshiftUniform(17);
  const toks = BigInt64Array.from({ length: n + 1 }, () => BigInt(Math.floor(u() * c.vocab)));
  return { tokens: hostTensor("int64", [n], toks.slice(0, n)), targets: hostTensor("int64", [n], toks.slice(1)) };
}

/** Measures the requested engine sections: GEMM ceiling, memory bandwidth, a full train step. */
export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const device = opts.device ?? "cpu";
  const sections: EngineSection[] = [...(opts.sections ?? ["gemm", "bandwidth", "train"])];
  if (sections.includes("train") && !sections.includes("gemm")) sections.unshift("gemm");
  const loadBefore = loadavg()[0];
  const gemmSize = opts.gemmSize ?? (opts.quick ? 128 : 2048);
  const gemmBefore = sections.includes("gemm") ? await measureGemm(gemmSize, opts) : undefined;
  const bandwidth = sections.includes("bandwidth") ? await measureBandwidth(opts) : undefined;
  const trained = sections.includes("train") ? await trainSection(opts, device) : undefined;
  // Measured on both sides of the train step so a busy moment does not inflate the ratio.
  let gemm = gemmBefore;
  if (gemmBefore && trained) {
    const gemmAfter = await measureGemm(gemmSize, opts);
    gemm = {
      ...(gemmAfter.gflops > gemmBefore.gflops ? gemmAfter : gemmBefore),
      samples: [gemmBefore.gflops, gemmAfter.gflops],
      gflopsPerCpuSec: Math.max(gemmBefore.gflopsPerCpuSec, gemmAfter.gflopsPerCpuSec),
    };
  }
  const loadAfter = loadavg()[0];
  return {
    device,
    cores: cpus().length,
    threads: opts.threads ?? "default",
    sections,
    gemm,
    bandwidth,
    train: trained && gemm ? { ...trained.train, ratioToCeiling: trained.train.gflops / gemm.gflops, cpuRatioToCeiling: trained.train.gflopsPerCpuSec / gemm.gflopsPerCpuSec } : undefined,
    profile: trained?.profile,
    loadAverage: [loadBefore, loadAfter],
  };
}

async function trainSection(opts: BenchOptions, device: Device): Promise<{ train: NonNullable<BenchReport["train"]>; profile?: BenchReport["profile"] }> {
  const model: DecoderConfig = { ...(opts.quick ? QUICK_MODEL : BENCH_MODEL), ...opts.model };
  const steps = opts.steps ?? (opts.quick ? 2 : 5);
  const specs = decoderParams(model);
  const layout = new ParamLayout(specs);
  const t0 = now();
  const graph = buildTrainGraph(layout, OPTIMIZER, decoderLoss(model), { name: "bench_train" });
  const bytes = graph.toModel();
  const graphBuildMs = now() - t0;
  const flops = graphMatmulFlops(graph);
  const t1 = now();
  const session = await EngineSession.create(bytes, { device, threads: opts.threads });
  const sessionCreateMs = now() - t1;

  const n = layout.total;
  let params = layout.initialize(normalFrom(xorshiftUniform(1))) as Float32Array;
  let m: Float32Array = new Float32Array(n);
  let v: Float32Array = new Float32Array(n);
  const data = tokenFeeds(model);
  const losses: number[] = [];
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const cs = cpuMs();
    const ts = now();
    const out = await session.run({
      ...data,
      [TRAIN_IO.params]: hostTensor("float32", [n], params),
      [TRAIN_IO.m]: hostTensor("float32", [n], m),
      [TRAIN_IO.v]: hostTensor("float32", [n], v),
      [TRAIN_IO.lr]: hostTensor("float32", [], Float32Array.of(1e-3)),
      [TRAIN_IO.step]: hostTensor("float32", [], Float32Array.of(i + 1)),
    });
    if (i > 0) {
      // step 0 is the warm-up
      times.push(now() - ts);
      cpuTimes.push(cpuMs() - cs);
    }
    params = out[TRAIN_IO.paramsOut].data as Float32Array;
    m = out[TRAIN_IO.mOut].data as Float32Array;
    v = out[TRAIN_IO.vOut].data as Float32Array;
    losses.push(Number(out[TRAIN_IO.loss].data[0]));
  }
  await session.release();

  let profile: BenchReport["profile"];
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    const ps = await EngineSession.create(bytes, { device, threads: opts.threads, profilePrefix: join(opts.profileDir, "train_step") });
    const feeds = {
      ...data,
      [TRAIN_IO.params]: hostTensor("float32", [n], params),
      [TRAIN_IO.m]: hostTensor("float32", [n], m),
      [TRAIN_IO.v]: hostTensor("float32", [n], v),
      [TRAIN_IO.lr]: hostTensor("float32", [], Float32Array.of(1e-3)),
      [TRAIN_IO.step]: hostTensor("float32", [], Float32Array.of(steps + 2)),
    };
    await ps.run(feeds);
    await ps.run(feeds);
    const file = ps.endProfiling();
    await ps.release();
    if (file) profile = { file, topOps: summarizeProfile(file) };
  }

  const stepMsMedian = median(times);
  const gflops = flops / (stepMsMedian * 1e6);
  const cpuMsMedian = median(cpuTimes);
  const gflopsPerCpuSec = flops / (cpuMsMedian * 1e6);
  return {
    profile,
    train: {
      model,
      params: countParams(specs),
      tokens: model.batch * model.seq,
      steps,
      stepMsMedian,
      stepMsBest: Math.min(...times),
      tokensPerSec: (model.batch * model.seq) / (stepMsMedian / 1000),
      gflopPerStep: flops / 1e9,
      gflops,
      ratioToCeiling: 0, // set against the GEMM ceiling by runBench
      cpuMsMedian,
      gflopsPerCpuSec,
      cpuRatioToCeiling: 0,
      graphBuildMs,
      sessionCreateMs,
      graphNodes: graph.liveNodes().length,
      modelBytes: bytes.byteLength,
      lossFirst: losses[0],
      lossLast: losses[losses.length - 1],
    },
  };
}

/** One table line: label, value. */
export type BenchRow = [string, string];

/** Rows of the engine sections that ran. */
export function benchRows(r: BenchReport): BenchRow[] {
  const f = (x: number, d = 1) => x.toFixed(d);
  const rows: BenchRow[] = [
    ["device", `${r.device} (${r.cores} cores, intra-op threads ${r.threads})`],
    ["load average (1 min)", `${f(r.loadAverage[0], 2)} before, ${f(r.loadAverage[1], 2)} after (${r.cores} cores)`],
  ];
  if (r.gemm) {
    const during = r.gemm.samples.length > 1 ? `; before/after train: ${r.gemm.samples.map((x) => f(x)).join(" / ")}` : "";
    rows.push([`GEMM ceiling fp32 ${r.gemm.n}^3`, `${f(r.gemm.gflops)} GFLOP/s (best ${f(r.gemm.bestMs)} ms${during})`]);
  }
  if (r.bandwidth) {
    const b = r.bandwidth;
    rows.push([
      `memory bandwidth ${f(b.bytes / 2 ** 20, 0)} MiB`,
      `${f(b.gbs)} GB/s (ORT ReduceSum read ${f(b.ortReadGBs)}, JS copy read+write ${f(b.copyGBs)}); ${f(b.cacheBytes / 2 ** 20, 0)} MiB in cache: read ${f(b.cacheReadGBs)} GB/s`,
    ]);
  }
  const t = r.train;
  if (t) {
    const m = t.model;
    rows.push(
      ["train model", `decoder L=${m.layers} d=${m.dim} H=${m.heads} ffn=${m.ffn} V=${m.vocab}, ${f(t.params / 1e6, 2)}M params`],
      ["train batch", `${m.batch} x ${m.seq} = ${t.tokens} tokens`],
      ["train step (fwd+bwd+AdamW)", `${f(t.stepMsMedian)} ms median of ${t.steps} (best ${f(t.stepMsBest)} ms)`],
      ["tokens/s", f(t.tokensPerSec, 0)],
      ["matmul work per step", `${f(t.gflopPerStep)} GFLOP`],
      ["achieved", `${f(t.gflops)} GFLOP/s = ${f(100 * t.ratioToCeiling)}% of ceiling`],
      ["per CPU-second (all threads)", `step ${f(t.gflopsPerCpuSec)} vs ceiling ${f(r.gemm?.gflopsPerCpuSec ?? 0)} GFLOP/cpu-s = ${f(100 * t.cpuRatioToCeiling)}% (median step CPU ${f(t.cpuMsMedian)} ms)`],
      ["graph build + serialize", `${f(t.graphBuildMs)} ms`],
      ["session create", `${f(t.sessionCreateMs)} ms`],
      ["graph size", `${t.graphNodes} nodes, ${f(t.modelBytes / 1024)} KiB`],
      ["loss (first -> last step)", `${t.lossFirst.toFixed(4)} -> ${t.lossLast.toFixed(4)}`],
    );
  }
  if (r.profile) {
    rows.push(["profile", r.profile.file]);
    for (const o of r.profile.topOps) rows.push([`  ${o.op}`, `${f(o.ms)} ms (${f(100 * o.share)}%)`]);
  }
  return rows;
}

/** Rows as a two-column text table. */
export function formatRows(rows: readonly BenchRow[]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}

/** A two-column text table of the report. */
export function formatBenchTable(r: BenchReport): string {
  return formatRows(benchRows(r));
}
