/**
 * Model sections of `bun run bench`: KV-cache generation and GRPO train steps of real decoders
 * built from HF configs, each against the ceilings the engine bench measured (memory bandwidth,
 * GEMM). Generation also times its parts alone (decode run, fixed run cost, sampling, KV copies)
 * so the report can say where a decode step's time goes.
 */
import { readFileSync } from "node:fs";
import { graphMatmulFlops, type BenchRow } from "./engine.ts";
import { Graph } from "../engine/graph.ts";
import { add } from "../engine/ops/index.ts";
import { type Device, EngineSession, type HostTensor, type RunTransfer, type SessionOptions, hostTensor } from "../engine/session.ts";
import { type WeightBinding, decoderTensorSpecs, frozenBinding, randomWeights, xorshift } from "../model/decoder.ts";
import { GEN_IO, Generator, type GenerateRequest, buildDecodeGraph } from "../model/generate.ts";
import { type DecoderConfig, loadDecoderConfig, parseDecoderConfig } from "../model/hf-config.ts";
import { LM_IO, bucket, buildLogprobGraph } from "../model/logprobs.ts";
import { LmTrainer, type TrainMode, type TrainSequence } from "../model/lm-trainer.ts";
import { openModelWeights } from "../model/safetensors.ts";
import { SamplerScratch, sampleToken } from "../model/sampler.ts";

export const DEFAULT_MODEL_DIR = "fixtures/default-model";

/** Qwen3-style decoder of ~100M parameters (random weights): bigger than any cache on the bench machine. */
export const QWEN3_100M_HF = {
  model_type: "qwen3",
  hidden_size: 768,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  num_key_value_heads: 4,
  head_dim: 64,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  vocab_size: 32000,
  tie_word_embeddings: true,
  max_position_embeddings: 4096,
} as const;

/** Quick mode's stand-in for it: a tiny Qwen3 config. */
const QWEN3_TINY_HF = {
  model_type: "qwen3",
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  vocab_size: 97,
  tie_word_embeddings: true,
} as const;

export type ModelSection = "generate" | "model-train";

export interface ModelBenchOptions {
  readonly quick?: boolean;
  /** cuda: weights are initializers (resident on the GPU); the CPU-only parts (thread settings, step parts, profile) are left out. */
  readonly device?: Device;
  readonly sections?: readonly ModelSection[];
  readonly threads?: number;
  /** Measured ceilings the ratios are taken against. */
  readonly ceilings: { readonly bandwidthGBs?: number; readonly gemmGflops?: number };
  /** Folder of the default model (generation). */
  readonly modelDir?: string;
  /** Timed train steps after one warm-up step (default 3, quick 1). */
  readonly trainSteps?: number;
  /** ORT profile of the default model's decode step into this folder (adds a few seconds). */
  readonly profileDir?: string;
}

export interface ModelInfo {
  readonly name: string;
  readonly arch: string;
  readonly layers: number;
  readonly hidden: number;
  readonly heads: string;
  readonly ffn: number;
  readonly vocab: number;
  readonly params: number;
}

export interface GenerationRun {
  readonly batch: number;
  readonly sampling: "greedy" | "sampled";
  readonly threads: number | "default";
  readonly promptBucket: number;
  readonly newTokens: number;
  readonly prefillMs: number;
  /** Decode phase: maxNewTokens - 1 decode runs and every host-side sampling. */
  readonly decodeMs: number;
  readonly decodeSteps: number;
  readonly stepMs: number;
  readonly stepsPerSec: number;
  /** Decoded tokens per second over the batch (batch × steps/s). */
  readonly tokensPerSec: number;
  /** stepsPerSec over the bandwidth bound's steps/s (weights read once per step at any batch); null on the GPU, where the host's bandwidth bounds nothing. */
  readonly ratioToBandwidthBound: number | null;
  /** Bytes fed and fetched per decode step (on the GPU they cross PCIe: the whole KV cache goes in). */
  readonly transferBytesPerStep: number;
}

export interface DecodeBreakdown {
  readonly batch: number;
  /** One decode session.run alone, same feeds (median). */
  readonly runMs: number;
  readonly runBestMs: number;
  /** The same run alone with one intra-op thread (no pool to wake), median. */
  readonly runOneThreadMs: number;
  /** session.run of a one-node graph: the fixed cost of a run through the binding. */
  readonly trivialRunMs: number;
  /** Host sampling of the whole batch, per step, on the logits of a step over a random cache (nearly flat: top-p's worst case). */
  readonly sampleGreedyMs: number;
  readonly sampleTopPMs: number;
  /** Copying the new K/V into the host cache and building the feeds, per step. */
  readonly kvCopyMs: number;
  readonly graphNodes: number;
  readonly graphInputs: number;
}

export interface DecodeProfile {
  readonly file: string;
  /** ORT's model_run duration, median over the profiled runs. */
  readonly runMs: number;
  /** Sum of node kernel times per run. */
  readonly kernelMs: number;
  /** Gemm/MatMul/FusedMatMul kernel time per run (the part that reads the weights). */
  readonly matmulMs: number;
  readonly nodes: number;
  readonly topOps: readonly { op: string; ms: number }[];
}

export interface GenerationModelReport {
  readonly model: ModelInfo;
  /** fp32 bytes of the weights one decode step reads (every tensor but the embedding rows, which are gathered; a tied embedding is read as the LM head). */
  readonly weightBytesPerStep: number;
  /** K+V bytes one step reads at the bench's cache capacity, batch 1. */
  readonly kvBytesPerStepBatch1: number;
  /** Measured bandwidth / weight bytes: decode steps per second at most. */
  readonly boundStepsPerSec: number;
  readonly runs: readonly GenerationRun[];
  readonly breakdown: readonly DecodeBreakdown[];
  readonly profile?: DecodeProfile;
  /** A log-prob session (batch 1 × 64) with the weights as initializers: serialize + create, best of two, inside the ModelProto and as external data. */
  readonly sessionBuild: { readonly embeddedMs: number; readonly externalMs: number };
}

export interface ModelTrainRun {
  readonly mode: "full" | "lora";
  readonly rank?: number;
  readonly trainableParams: number;
  readonly batch: number;
  readonly seq: number;
  readonly tokens: number;
  readonly steps: number;
  /** First step: graph build, session create and one run. */
  readonly firstStepMs: number;
  readonly graphBuildMs: number;
  readonly graphNodes: number;
  readonly stepMsMedian: number;
  readonly stepMsBest: number;
  readonly tokensPerSec: number;
  /** Matmul FLOPs counted from the train graph's MatMul/Gemm nodes (forward, backward, adapters). */
  readonly gflopPerStep: number;
  /** 6·N·tokens (full) or 4·N·tokens (LoRA: no weight gradient of the base) plus 12·L·T·H·dh·tokens of attention: the textbook estimate, for comparison. */
  readonly gflopEstimate: number;
  readonly gflops: number;
  readonly ratioToCeiling: number;
  readonly lossFirst: number;
  readonly lossLast: number;
  /** What one step fed and fetched (on the GPU, its host-device copies). */
  readonly transfer: RunTransfer;
}

export interface ModelTrainReport {
  readonly model: ModelInfo;
  readonly runs: readonly ModelTrainRun[];
}

export interface ModelBenchReport {
  /** target: the CPU's (absent on the GPU). */
  readonly generate?: { readonly device: Device; readonly models: readonly GenerationModelReport[]; readonly bandwidthGBs: number; readonly target?: GenerationTarget };
  readonly modelTrain?: ModelTrainReport & { readonly gemmGflops: number };
}

export interface GenerationTarget {
  /** The issue's target: default model, batch 1, at least this share of the bandwidth bound. */
  readonly wanted: number;
  /** Best ratio of the default model at batch 1 (greedy or sampled, any thread setting). */
  readonly achieved: number;
  readonly met: boolean;
}

const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function modelInfo(name: string, cfg: DecoderConfig): ModelInfo {
  const params = decoderTensorSpecs(cfg).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  return {
    name,
    arch: cfg.modelType,
    layers: cfg.numLayers,
    hidden: cfg.hiddenSize,
    heads: `${cfg.numHeads}/${cfg.numKvHeads}x${cfg.headDim}`,
    ffn: cfg.intermediateSize,
    vocab: cfg.vocabSize,
    params,
  };
}

/** fp32 bytes of weights a decode step reads: all tensors but the gathered embedding, unless it is also the head. */
export function decodeWeightBytes(cfg: DecoderConfig): number {
  let n = 0;
  for (const s of decoderTensorSpecs(cfg)) {
    if (s.name === "model.embed_tokens.weight" && !cfg.tieWordEmbeddings) continue;
    n += s.shape.reduce((a, b) => a * b, 1);
  }
  return 4 * n;
}

interface BenchModel {
  readonly name: string;
  readonly cfg: DecoderConfig;
  readonly weights: Map<string, Float32Array>;
}

function defaultModel(dir: string): BenchModel {
  const cfg = loadDecoderConfig(dir);
  return { name: `default (${dir})`, cfg, weights: openModelWeights(dir, cfg).readAllF32() };
}

function configModel(quick: boolean): BenchModel {
  const cfg = parseDecoderConfig(quick ? QWEN3_TINY_HF : QWEN3_100M_HF, quick ? "bench qwen3-tiny" : "bench qwen3-100m");
  return { name: quick ? "qwen3-tiny (random)" : "qwen3-100m (random)", cfg, weights: randomWeights(cfg, 7, 0.05) };
}

function promptIds(cfg: DecoderConfig, n: number, seed: number): number[] {
  const u = xorshift(seed);
  return Array.from({ length: n }, () => 2 + Math.floor(u() * (cfg.vocabSize - 2)));
}

function requests(cfg: DecoderConfig, batch: number, sampling: "greedy" | "sampled", maxNewTokens: number, promptLen: number): GenerateRequest[] {
  return Array.from({ length: batch }, (_, i) => ({
    prompt: promptIds(cfg, promptLen, 11 + i),
    maxNewTokens,
    // No stop ids: every row decodes exactly maxNewTokens.
    stopTokenIds: [],
    ...(sampling === "greedy" ? { temperature: 0 } : { temperature: 1, topP: 0.95, rng: { seed: 5, step: 0, role: "bench", item: i } }),
  }));
}

async function timeGeneration(m: BenchModel, session: SessionOptions, batch: number, sampling: "greedy" | "sampled", maxNew: number, promptLen: number, reps: number, boundStepsPerSec: number): Promise<GenerationRun> {
  const onGpu = session.device === "cuda";
  // On the GPU the weights are initializers, copied to the device once per session.
  const gen = new Generator(m.cfg, frozenBinding(m.cfg, m.weights, onGpu ? "initializer" : "input"), undefined, { session, padId: m.cfg.padTokenId ?? 0 });
  try {
    const reqs = requests(m.cfg, batch, sampling, maxNew, promptLen);
    await gen.generate(reqs); // builds the prefill and decode sessions
    let best: NonNullable<Generator["lastStats"]> | undefined;
    for (let i = 0; i < reps; i++) {
      await gen.generate(reqs);
      const s = gen.lastStats!;
      if (!best || s.decodeMs / Math.max(1, s.decodeSteps) < best.decodeMs / Math.max(1, best.decodeSteps)) best = s;
    }
    const s = best!;
    const stepMs = s.decodeMs / Math.max(1, s.decodeSteps);
    const stepsPerSec = 1000 / stepMs;
    return {
      batch,
      sampling,
      threads: session.threads ?? "default",
      promptBucket: bucket(promptLen, 16),
      newTokens: maxNew,
      prefillMs: s.prefillMs,
      decodeMs: s.decodeMs,
      decodeSteps: s.decodeSteps,
      stepMs,
      stepsPerSec,
      tokensPerSec: batch * stepsPerSec,
      ratioToBandwidthBound: onGpu ? null : stepsPerSec / boundStepsPerSec,
      transferBytesPerStep: s.decodeTransferBytes / Math.max(1, s.decodeSteps),
    };
  } finally {
    await gen.release();
  }
}

/** Feeds of one decode step at cache capacity `cap` (all slots attendable). */
function decodeFeeds(cfg: DecoderConfig, binding: WeightBinding, batch: number, cap: number): Record<string, HostTensor> {
  const kvDims = [batch, cfg.numKvHeads, cap, cfg.headDim];
  const kvLen = batch * cfg.numKvHeads * cap * cfg.headDim;
  const f: Record<string, HostTensor> = {
    ...binding.feeds(),
    [GEN_IO.pastMask]: hostTensor("int64", [batch, cap], new BigInt64Array(batch * cap).fill(1n)),
    [LM_IO.ids]: hostTensor("int64", [batch, 1], new BigInt64Array(batch).fill(3n)),
    [LM_IO.positions]: hostTensor("int64", [batch, 1], new BigInt64Array(batch).fill(BigInt(cap))),
    [LM_IO.mask]: hostTensor("int64", [batch, 1], new BigInt64Array(batch).fill(1n)),
  };
  const u = xorshift(3);
  for (let l = 0; l < cfg.numLayers; l++) {
    f[GEN_IO.pastKey(l)] = hostTensor("float32", kvDims, Float32Array.from({ length: kvLen }, () => u() - 0.5));
    f[GEN_IO.pastValue(l)] = hostTensor("float32", kvDims, Float32Array.from({ length: kvLen }, () => u() - 0.5));
  }
  return f;
}

let trivialRunCache: number | undefined;

async function trivialRunMs(session: SessionOptions): Promise<number> {
  if (trivialRunCache !== undefined) return trivialRunCache;
  const g = new Graph("trivial");
  const x = g.input("x", "float32", [1]);
  g.output(add(x, x), "y");
  const s = await EngineSession.create(g, session);
  const feeds = { x: hostTensor("float32", [1], Float32Array.of(1)) };
  for (let i = 0; i < 20; i++) await s.run(feeds);
  const ts: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = now();
    await s.run(feeds);
    ts.push(now() - t0);
  }
  await s.release();
  trivialRunCache = median(ts);
  return trivialRunCache;
}

/** The parts of a decode step, each timed alone. */
async function decodeBreakdown(m: BenchModel, session: SessionOptions, batch: number, cap: number, reps: number): Promise<DecodeBreakdown> {
  const cfg = m.cfg;
  const binding = frozenBinding(cfg, m.weights, "input");
  const g = buildDecodeGraph(cfg, binding, batch);
  const s = await EngineSession.create(g, session);
  const feeds = decodeFeeds(cfg, binding, batch, cap);
  let out = await s.run(feeds);
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    out = await s.run(feeds);
    ts.push(now() - t0);
  }
  await s.release();
  const s1 = await EngineSession.create(g, { ...session, threads: 1 });
  await s1.run(feeds);
  const ts1: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    await s1.run(feeds);
    ts1.push(now() - t0);
  }
  await s1.release();

  // Host sampling of every row, as the generator does it.
  const V = cfg.vocabSize;
  const logits = out[GEN_IO.logits].data as Float32Array;
  const scratch = new SamplerScratch(V);
  const u = xorshift(13);
  const sampleMs = (params: { temperature: number; topP?: number }) => {
    const n = Math.max(5, Math.ceil(40 / batch));
    for (let b = 0; b < batch; b++) sampleToken(logits.subarray(b * V, (b + 1) * V), params, u, scratch); // JIT warm-up
    const t0 = now();
    for (let i = 0; i < n; i++) for (let b = 0; b < batch; b++) sampleToken(logits.subarray(b * V, (b + 1) * V), params, u, scratch);
    return (now() - t0) / n;
  };
  const sampleGreedyMs = sampleMs({ temperature: 0 });
  const sampleTopPMs = sampleMs({ temperature: 1, topP: 0.95 });

  // The generator's KV bookkeeping: copy each row's new K/V into its slot, then rebuild the feeds.
  const dh = cfg.headDim;
  const heads = batch * cfg.numKvHeads;
  const rowStride = cap * dh;
  const keys = Array.from({ length: cfg.numLayers }, () => new Float32Array(heads * rowStride));
  const values = Array.from({ length: cfg.numLayers }, () => new Float32Array(heads * rowStride));
  const kvReps = 50;
  const t0 = now();
  for (let i = 0; i < kvReps; i++) {
    const slot = i % cap;
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const [src, dst] of [
        [out[GEN_IO.presentKey(l)].data as Float32Array, keys[l]],
        [out[GEN_IO.presentValue(l)].data as Float32Array, values[l]],
      ] as const) {
        for (let r = 0; r < heads; r++) dst.set(src.subarray(r * dh, (r + 1) * dh), r * rowStride + slot * dh);
      }
    }
    const f: Record<string, HostTensor> = { ...binding.feeds() };
    for (let l = 0; l < cfg.numLayers; l++) {
      f[GEN_IO.pastKey(l)] = hostTensor("float32", [batch, cfg.numKvHeads, cap, dh], keys[l]);
      f[GEN_IO.pastValue(l)] = hostTensor("float32", [batch, cfg.numKvHeads, cap, dh], values[l]);
    }
  }
  const kvCopyMs = (now() - t0) / kvReps;
  return {
    batch,
    runMs: median(ts),
    runBestMs: Math.min(...ts),
    runOneThreadMs: median(ts1),
    trivialRunMs: await trivialRunMs(session),
    sampleGreedyMs,
    sampleTopPMs,
    kvCopyMs,
    graphNodes: g.liveNodes().length,
    graphInputs: Object.keys(feeds).length,
  };
}

async function profileDecode(m: BenchModel, session: SessionOptions, cap: number, dir: string): Promise<DecodeProfile | undefined> {
  const { mkdirSync } = await import("node:fs");
  const { join } = await import("node:path");
  mkdirSync(dir, { recursive: true });
  const binding = frozenBinding(m.cfg, m.weights, "input");
  const g = buildDecodeGraph(m.cfg, binding, 1);
  const s = await EngineSession.create(g, { ...session, profilePrefix: join(dir, "decode_step") });
  const feeds = decodeFeeds(m.cfg, binding, 1, cap);
  for (let i = 0; i < 30; i++) await s.run(feeds);
  const file = s.endProfiling();
  await s.release();
  if (!file) return undefined;
  interface Ev {
    name?: string;
    cat?: string;
    dur?: number;
    args?: { op_name?: string };
  }
  const events = JSON.parse(readFileSync(file, "utf8")) as Ev[];
  const runs: number[] = [];
  const byOp = new Map<string, number>();
  let kernel = 0;
  for (const e of events) {
    if (e.name === "model_run" && e.dur !== undefined) runs.push(e.dur);
    if (e.cat === "Node" && e.args?.op_name && e.name?.endsWith("_kernel_time") && e.dur !== undefined) {
      byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
      kernel += e.dur;
    }
  }
  const n = Math.max(1, runs.length);
  const matmul = ["Gemm", "MatMul", "FusedMatMul", "FusedGemm"].reduce((a, k) => a + (byOp.get(k) ?? 0), 0);
  return {
    file,
    runMs: median(runs) / 1000,
    kernelMs: kernel / n / 1000,
    matmulMs: matmul / n / 1000,
    nodes: g.liveNodes().length,
    topOps: [...byOp.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([op, us]) => ({ op, ms: us / n / 1000 })),
  };
}

/** Builds the same initializer-weight session from an embedded ModelProto and from external data. */
async function sessionBuild(m: BenchModel, session: SessionOptions): Promise<GenerationModelReport["sessionBuild"]> {
  const best = { embeddedMs: Infinity, externalMs: Infinity };
  for (let rep = 0; rep < 2; rep++) {
    for (const how of ["embeddedMs", "externalMs"] as const) {
      const g = buildLogprobGraph(m.cfg, frozenBinding(m.cfg, m.weights, "initializer"), { batch: 1, length: 64 });
      const t0 = now();
      const s = await EngineSession.create(how === "embeddedMs" ? g.toModel() : g, session);
      best[how] = Math.min(best[how], now() - t0);
      await s.release();
    }
  }
  return best;
}

async function benchGeneration(opts: ModelBenchOptions, bandwidthGBs: number): Promise<NonNullable<ModelBenchReport["generate"]>> {
  const quick = opts.quick ?? false;
  const device = opts.device ?? "cpu";
  const session: SessionOptions = { device, ...(opts.threads ? { threads: opts.threads } : {}) };
  const promptLen = 12;
  const reps = quick ? 1 : 2;
  const models: GenerationModelReport[] = [];
  const plans: { m: BenchModel; maxNew: number; isDefault: boolean }[] = [
    { m: defaultModel(opts.modelDir ?? DEFAULT_MODEL_DIR), maxNew: quick ? 4 : 64, isDefault: true },
    { m: configModel(quick), maxNew: quick ? 4 : 24, isDefault: false },
  ];
  for (const { m, maxNew, isDefault } of plans) {
    const weightBytes = decodeWeightBytes(m.cfg);
    const boundStepsPerSec = (bandwidthGBs * 1e9) / weightBytes;
    const cap = bucket(promptLen, 16) + maxNew - 1;
    const runs: GenerationRun[] = [];
    for (const batch of [1, 8]) {
      for (const sampling of ["greedy", "sampled"] as const) runs.push(await timeGeneration(m, session, batch, sampling, maxNew, promptLen, reps, boundStepsPerSec));
    }
    // One intra-op thread: small decode ops do not wait on a second (often descheduled) pool thread.
    const cpu = device === "cpu";
    if (cpu && isDefault && opts.threads !== 1) runs.push(await timeGeneration(m, { threads: 1 }, 1, "greedy", maxNew, promptLen, reps, boundStepsPerSec));
    const breakdown: DecodeBreakdown[] = [];
    if (cpu) for (const batch of [1, 8]) breakdown.push(await decodeBreakdown(m, session, batch, cap, quick ? 3 : 30));
    const profile = cpu && isDefault && opts.profileDir ? await profileDecode(m, session, cap, opts.profileDir) : undefined;
    models.push({
      model: modelInfo(m.name, m.cfg),
      weightBytesPerStep: weightBytes,
      kvBytesPerStepBatch1: 2 * 4 * m.cfg.numLayers * m.cfg.numKvHeads * cap * m.cfg.headDim,
      boundStepsPerSec,
      runs,
      breakdown,
      profile,
      sessionBuild: await sessionBuild(m, session),
    });
  }
  if (device !== "cpu") return { device, models, bandwidthGBs };
  const wanted = 0.5;
  const achieved = Math.max(...models[0].runs.filter((r) => r.batch === 1).map((r) => r.ratioToBandwidthBound ?? 0));
  return { device, models, bandwidthGBs, target: { wanted, achieved, met: achieved >= wanted } };
}

function trainBatch(cfg: DecoderConfig, batch: number, seq: number): TrainSequence[] {
  const u = xorshift(29);
  return Array.from({ length: batch }, (_, b) => ({
    ids: Array.from({ length: seq }, () => Math.floor(u() * cfg.vocabSize)),
    completionStart: 1,
    advantage: b % 2 ? 1 : -1,
    behaviourLogprobs: new Float32Array(seq - 1).fill(-Math.log(cfg.vocabSize)),
  }));
}

async function benchModelTrain(opts: ModelBenchOptions, gemmGflops: number): Promise<NonNullable<ModelBenchReport["modelTrain"]>> {
  const quick = opts.quick ?? false;
  const m = configModel(quick);
  const cfg = m.cfg;
  const [batch, seq] = quick ? [2, 16] : [4, 128];
  const steps = opts.trainSteps ?? (quick ? 1 : 3);
  const device = opts.device ?? "cpu";
  const session: SessionOptions = { device, ...(opts.threads ? { threads: opts.threads } : {}) };
  const info = modelInfo(m.name, cfg);
  const seqs = trainBatch(cfg, batch, seq);
  const hp = { lr: 1e-5, epsLow: 0.2, epsHigh: 0.28 };
  const tokens = batch * seq;
  const attention = 12 * cfg.numLayers * seq * cfg.numHeads * cfg.headDim * tokens;
  const modes: TrainMode[] = [{ kind: "full" }, { kind: "lora", rank: 16, alpha: 32 }];
  const runs: ModelTrainRun[] = [];
  for (const mode of modes) {
    // A LoRA base: inputs on the CPU (read in place), initializers on the GPU (resident there).
    const trainer = new LmTrainer(cfg, m.weights, mode, { session, baseMode: device === "cpu" ? "input" : "initializer" });
    try {
      const tb = now();
      const g = trainer.buildGraph(batch, seq);
      const flops = graphMatmulFlops(g);
      const graphNodes = g.liveNodes().length;
      g.toModel();
      const graphBuildMs = now() - tb;
      const t0 = now();
      const first = await trainer.step(seqs, hp);
      const firstStepMs = now() - t0;
      const times: number[] = [];
      let last = first;
      for (let i = 0; i < steps; i++) {
        const ts = now();
        last = await trainer.step(seqs, hp);
        times.push(now() - ts);
      }
      const stepMsMedian = median(times);
      const gflops = flops / (stepMsMedian * 1e6);
      const estimate = (mode.kind === "full" ? 6 : 4) * info.params * tokens + attention;
      runs.push({
        mode: mode.kind,
        rank: mode.kind === "lora" ? mode.rank : undefined,
        trainableParams: trainer.layout.total,
        batch,
        seq,
        tokens,
        steps,
        firstStepMs,
        graphBuildMs,
        graphNodes,
        stepMsMedian,
        stepMsBest: Math.min(...times),
        tokensPerSec: tokens / (stepMsMedian / 1000),
        gflopPerStep: flops / 1e9,
        gflopEstimate: estimate / 1e9,
        gflops,
        ratioToCeiling: gflops / gemmGflops,
        lossFirst: first.loss,
        lossLast: last.loss,
        transfer: last.transfer,
      });
    } finally {
      await trainer.release();
    }
  }
  return { model: info, runs, gemmGflops };
}

/** Runs the requested model sections against the given ceilings. */
export async function runModelBench(opts: ModelBenchOptions): Promise<ModelBenchReport> {
  const sections = new Set(opts.sections ?? ["generate", "model-train"]);
  const out: { -readonly [K in keyof ModelBenchReport]: ModelBenchReport[K] } = {};
  if (sections.has("generate")) {
    const bw = opts.ceilings.bandwidthGBs;
    if (!bw) throw new Error("bench: generation needs the measured bandwidth ceiling");
    out.generate = await benchGeneration(opts, bw);
  }
  if (sections.has("model-train")) {
    const gemm = opts.ceilings.gemmGflops;
    if (!gemm) throw new Error("bench: model-train needs the measured GEMM ceiling");
    out.modelTrain = await benchModelTrain(opts, gemm);
  }
  return out;
}

const f = (x: number, d = 1) => x.toFixed(d);
const pct = (x: number) => `${f(100 * x)}%`;
const mparams = (n: number) => (n >= 1e6 ? `${f(n / 1e6, 2)}M` : `${f(n / 1e3, 1)}K`);
const describe = (m: ModelInfo) => `${m.name}: ${m.arch} L=${m.layers} d=${m.hidden} H/Hkv x dh=${m.heads} ffn=${m.ffn} V=${m.vocab}, ${mparams(m.params)} params`;

/** Table rows of the model sections (same two-column style as the engine's). */
export function modelBenchRows(r: ModelBenchReport): BenchRow[] {
  const rows: BenchRow[] = [];
  if (r.generate) {
    const gr = r.generate;
    rows.push(["== generation (KV cache, fp32)", `bound = bandwidth ${f(gr.bandwidthGBs)} GB/s / weight bytes per decode step`]);
    for (const m of gr.models) {
      rows.push(["model", describe(m.model)]);
      rows.push([
        "  weights read per step",
        `${f(m.weightBytesPerStep / 1e6, 2)} MB (+ KV ${f(m.kvBytesPerStepBatch1 / 1e6, 2)} MB at batch 1) -> bound ${f(m.boundStepsPerSec, 0)} steps/s`,
      ]);
      for (const g of m.runs) {
        rows.push([
          `  batch ${g.batch} ${g.sampling}${g.threads === "default" ? "" : ` threads ${g.threads}`}`,
          `${f(g.tokensPerSec, 0)} tok/s, ${f(g.stepMs, 2)} ms/step${g.ratioToBandwidthBound === null ? "" : ` = ${pct(g.ratioToBandwidthBound)} of bound`} (prefill ${f(g.prefillMs)} ms, ${g.decodeSteps} steps; ${f(g.transferBytesPerStep / 1e6, 2)} MB fed+fetched per step)`,
        ]);
      }
      for (const b of m.breakdown) {
        rows.push([
          `  step parts, batch ${b.batch}`,
          `run alone ${f(b.runMs, 2)} ms (best ${f(b.runBestMs, 2)}; 1 thread ${f(b.runOneThreadMs, 2)}), fixed run cost ${f(b.trivialRunMs, 3)} ms, sampling greedy ${f(b.sampleGreedyMs, 3)} / top-p ${f(b.sampleTopPMs, 3)} ms (flat logits: worst case), KV copy+feeds ${f(b.kvCopyMs, 3)} ms; ${b.graphNodes} nodes, ${b.graphInputs} inputs`,
        ]);
        const greedy = m.runs.find((x) => x.batch === b.batch && x.sampling === "greedy"); // the run at the bench's thread setting
        if (greedy) {
          const rest = greedy.stepMs - b.runMs - b.sampleGreedyMs - b.kvCopyMs;
          rows.push([`  greedy step - parts, batch ${b.batch}`, `${f(greedy.stepMs, 2)} - ${f(b.runMs + b.sampleGreedyMs + b.kvCopyMs, 2)} = ${f(rest, 2)} ms (pool wake-ups, allocation; noisy under load, can be negative)`]);
        }
      }
      rows.push(["  session build (log-probs 1 x 64)", `weights as external data ${f(m.sessionBuild.externalMs)} ms, inside the ModelProto ${f(m.sessionBuild.embeddedMs)} ms (serialize + create, best of 2)`]);
      if (m.profile) {
        const p = m.profile;
        rows.push([
          "  decode profile, batch 1",
          `run ${f(p.runMs, 2)} ms: kernels ${f(p.kernelMs, 2)} ms (matmuls ${f(p.matmulMs, 2)}), outside kernels ${f(p.runMs - p.kernelMs, 2)}; ${p.nodes} nodes; top ${p.topOps.map((o) => `${o.op} ${f(o.ms, 2)}`).join(", ")}`,
        ]);
      }
    }
    if (gr.target) rows.push(["target (default model, batch 1)", `${pct(gr.target.achieved)} of the bandwidth bound, wanted >= ${pct(gr.target.wanted)}: ${gr.target.met ? "met" : "NOT met"}`]);
  }
  if (r.modelTrain) {
    const t = r.modelTrain;
    rows.push(["== train step (GRPO, fwd+bwd+AdamW)", `${describe(t.model)}; ceiling ${f(t.gemmGflops)} GFLOP/s`]);
    for (const x of t.runs) {
      const name = x.mode === "full" ? "full fine-tuning" : `LoRA r=${x.rank}`;
      rows.push([
        `  ${name}`,
        `${x.batch} x ${x.seq} tokens, ${mparams(x.trainableParams)} trainable: ${f(x.stepMsMedian)} ms median of ${x.steps} (best ${f(x.stepMsBest)}), ${f(x.tokensPerSec, 0)} tok/s`,
      ]);
      rows.push([
        `  ${name} work`,
        `${f(x.gflopPerStep)} GFLOP from the graph (6N/4N estimate ${f(x.gflopEstimate)}) -> ${f(x.gflops)} GFLOP/s = ${pct(x.ratioToCeiling)} of ceiling`,
      ]);
      rows.push([`  ${name} setup`, `graph ${x.graphNodes} nodes, build ${f(x.graphBuildMs)} ms; first step ${f(x.firstStepMs)} ms; loss ${x.lossFirst.toFixed(4)} -> ${x.lossLast.toFixed(4)}`]);
      rows.push([`  ${name} host-device bytes`, `fed ${f(x.transfer.fedBytes / 1e6, 2)} MB, fetched ${f(x.transfer.fetchedBytes / 1e6, 2)} MB per step (on the GPU each crosses PCIe)`]);
    }
  }
  return rows;
}
