/**
 * A Hugging Face model folder as one object: score, generate and train it. This is what the
 * learner backend calls. One instance owns its ORT sessions (load ORT once per process; keep the
 * instance for the life of the worker).
 */
import { createHash } from "node:crypto";
import type { OptimizerConfig } from "../engine/optim.ts";
import type { Device, SessionOptions } from "../engine/session.ts";
import type { FloatDType } from "./decoder.ts";
import { type GenerateRequest, type GenerateResult, Generator } from "./generate.ts";
import { type DecoderConfig, ModelError, loadDecoderConfig } from "./hf-config.ts";
import { LogprobScorer, type ScoreOptions, type ScoreResult } from "./logprobs.ts";
import { LmTrainer, type TrainHyper, type TrainSequence, type TrainStepResult } from "./lm-trainer.ts";
import type { LoraConfig } from "./lora.ts";
import { openModelWeights } from "./safetensors.ts";
import { TextTokenizer } from "./tokenizer.ts";

export interface LoadModelOptions {
  readonly device?: Device;
  /** Bit-identical runs (fixed threads, sequential execution); seeded samples repeat exactly. */
  readonly deterministic?: boolean;
  /** Train LoRA adapters over a frozen base; absent: full fine-tuning. */
  readonly lora?: LoraConfig;
  readonly optimizer?: OptimizerConfig;
  /**
   * Frozen base tensors as per-run inputs (default on the CPU: ORT reads them in place, and graph
   * builds stay fast) or initializers (default on CUDA, where inputs are copied every run; limited
   * to ~2 GB by protobuf).
   */
  readonly baseMode?: "initializer" | "input";
  readonly dtype?: FloatDType;
  readonly threads?: number;
  /** Seed of the LoRA initialization. */
  readonly seed?: number;
  /** Sampling temperature the behaviour log-probs come from; the train graph divides logits by it. */
  readonly trainTemperature?: number;
  /** Temperature of `logprobs()` (default 1); a KL reference uses the sampling temperature. */
  readonly scoreTemperature?: number;
}

export interface LoadedModel {
  readonly config: DecoderConfig;
  readonly tokenizer: TextTokenizer;
  readonly dir: string;
  /** Next-token log-probs of token sequences (and the full vector after the last token). */
  logprobs(seqs: readonly (readonly number[])[], opts?: ScoreOptions): Promise<ScoreResult[]>;
  generate(requests: readonly GenerateRequest[]): Promise<GenerateResult[]>;
  trainStep(batch: readonly TrainSequence[], hp: TrainHyper): Promise<TrainStepResult>;
  saveAdapters(dir: string): void;
  loadAdapters(dir: string): void;
  /** Trainable parameters, optimizer state and step count. */
  snapshot(): Uint8Array;
  restore(state: Uint8Array): void;
  /** sha256 (hex) of the trainable parameters. */
  digest(): string;
  /** A copy of the trainable parameters. */
  parameters(): Float32Array | Float64Array;
  /** Runs `fn` with the trainable parameters replaced by `params` (same layout), then puts them back. */
  withParameters<T>(params: Float32Array | Float64Array, fn: () => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

const SNAPSHOT_MAGIC = "sp0-model-snapshot-1";

export function loadModel(dir: string, opts: LoadModelOptions = {}): LoadedModel {
  const config = loadDecoderConfig(dir);
  const tokenizer = TextTokenizer.load(dir);
  const weights = openModelWeights(dir, config).readAllF32();
  const session: SessionOptions = { device: opts.device ?? "cpu", deterministic: opts.deterministic ?? false, ...(opts.threads ? { threads: opts.threads } : {}) };
  const trainer = new LmTrainer(config, weights, opts.lora ? { kind: "lora", ...opts.lora } : { kind: "full" }, {
    optimizer: opts.optimizer,
    session,
    dtype: opts.dtype,
    baseMode: opts.baseMode ?? ((opts.device ?? "cpu") === "cpu" ? "input" : "initializer"),
    seed: opts.seed,
    temperature: opts.trainTemperature,
  });
  if (!opts.lora) weights.clear(); // full fine-tuning: the flat buffer is now the only copy
  const binding = trainer.binding();
  const scorer = new LogprobScorer(config, binding, session, 16, opts.scoreTemperature ?? 1);
  const padId = config.padTokenId ?? tokenizer.padId ?? 0;
  const generator = new Generator(config, binding, (ids) => tokenizer.decode(ids), { session, padId });

  const paramBytes = () => new Uint8Array(trainer.params.buffer, trainer.params.byteOffset, trainer.params.byteLength);
  return {
    config,
    tokenizer,
    dir,
    logprobs: (seqs, o) => scorer.score(seqs, o),
    generate: (requests) =>
      generator.generate(requests.map((r) => (r.stopTokenIds === undefined && config.eosTokenIds.length ? { ...r, stopTokenIds: config.eosTokenIds } : r))),
    trainStep: (batch, hp) => trainer.step(batch, hp),
    saveAdapters: (out) => trainer.saveAdapters(out, dir),
    loadAdapters: (from) => trainer.loadAdapters(from),
    snapshot() {
      const header = new TextEncoder().encode(JSON.stringify({ magic: SNAPSHOT_MAGIC, dtype: trainer.dtype, total: trainer.layout.total, steps: trainer.steps }));
      const parts = [trainer.params, trainer.m, trainer.v].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const out = new Uint8Array(4 + header.length + parts.reduce((n, p) => n + p.length, 0));
      new DataView(out.buffer).setUint32(0, header.length, true);
      out.set(header, 4);
      let off = 4 + header.length;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      return out;
    },
    restore(state) {
      const hl = new DataView(state.buffer, state.byteOffset, state.byteLength).getUint32(0, true);
      const h = JSON.parse(new TextDecoder().decode(state.subarray(4, 4 + hl))) as { magic: string; dtype: FloatDType; total: number; steps: number };
      if (h.magic !== SNAPSHOT_MAGIC || h.dtype !== trainer.dtype || h.total !== trainer.layout.total) {
        throw new ModelError(`restore: snapshot (${h.magic}, ${h.dtype}, ${h.total} parameters) does not fit this model (${trainer.dtype}, ${trainer.layout.total})`);
      }
      const bytes = h.total * (h.dtype === "float64" ? 8 : 4);
      const take = (i: number) => {
        const src = state.slice(4 + hl + i * bytes, 4 + hl + (i + 1) * bytes);
        return h.dtype === "float64" ? new Float64Array(src.buffer) : new Float32Array(src.buffer);
      };
      trainer.params = take(0);
      trainer.m = take(1);
      trainer.v = take(2);
      trainer.steps = h.steps;
    },
    digest: () => createHash("sha256").update(paramBytes()).digest("hex"),
    parameters: () => trainer.params.slice(),
    async withParameters(params, fn) {
      if (params.length !== trainer.params.length || params.constructor !== trainer.params.constructor) throw new ModelError(`withParameters: ${params.length} parameters do not fit this model (${trainer.params.length})`);
      const own = trainer.params;
      trainer.params = params;
      try {
        return await fn();
      } finally {
        trainer.params = own;
      }
    },
    async release() {
      await scorer.release();
      await generator.release();
      await trainer.release();
    },
  };
}
