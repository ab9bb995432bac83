/**
 * A Hugging Face model folder as one object: score, generate and train it. This is what the
 * learner backend calls. One instance owns its ORT sessions (load ORT once per process; keep the
 * instance for the life of the worker).
 */
import { createHash } from "node:crypto";
import { basename, resolve } from "node:path";
import type { OptimizerConfig } from "../engine/optim.ts";
import type { Device, SessionOptions } from "../engine/session.ts";
import type { FloatDType } from "./decoder.ts";
import { type GenerateRequest, type GenerateResult, Generator } from "./generate.ts";
import { type DecoderConfig, ModelError, loadDecoderConfig } from "./hf-config.ts";
import { LogprobScorer, type ScoreOptions, type ScoreResult } from "./logprobs.ts";
import { LmTrainer, type TrainHyper, type TrainSequence, type TrainStepResult } from "./lm-trainer.ts";
import type { LoraConfig } from "./lora.ts";
import { openModelWeights } from "./safetensors.ts";
import { type MemoryPlan, checkMemory, estimateMemory, memoryCheckEnabled } from "./memory.ts";
import { TextTokenizer } from "./tokenizer.ts";
import type { StateTensor, TensorState } from "../runtime/actor-state.ts";

export interface LoadModelOptions {
  readonly device?: Device;
  /** Bit-identical runs (fixed threads, sequential execution); seeded samples repeat exactly. */
  readonly deterministic?: boolean;
  /** Train LoRA adapters over a frozen base; absent: full fine-tuning. */
  readonly lora?: LoraConfig;
  readonly optimizer?: OptimizerConfig;
  /**
   * Frozen base tensors as per-run inputs (default on the CPU: ORT reads them in place) or
   * initializers (default on CUDA, where inputs are copied every run and initializers stay on the
   * device; they reach ORT as external data, so any size fits).
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
  /** Most elements per flat parameter buffer (default 2^28); tests force several small groups. */
  readonly maxGroup?: number;
  /**
   * Full fine-tuning's weights in log-prob and generation graphs: per-run inputs (default on the
   * CPU) or initializers of sessions rebuilt after each step (default on CUDA; lm-trainer.ts).
   */
  readonly fullWeights?: "inputs" | "initializers";
  /**
   * The memory check before loading (memory.ts): false skips it (as SPZ_MEMORY_CHECK=off does);
   * `train`/`generate` are the buckets to size it for (default 8 × 512 each).
   */
  readonly memoryCheck?: boolean | Pick<MemoryPlan, "train" | "generate">;
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
  /**
   * Trainable parameters (params.safetensors), Adam m and v (adam_m, adam_v) as named tensors
   * (HF names for full fine-tuning, PEFT names for LoRA) viewing the trainer's own buffers (a
   * step replaces them, never writes into them), and the step count in `meta`.
   */
  snapshot(): TensorState;
  /** Takes a snapshot's state (or a pre-safetensors single-buffer snapshot of a one-group layout). */
  restore(state: TensorState | Uint8Array): void;
  /** sha256 (hex) of the trainable parameters (the groups' bytes in order: the same for any grouping). */
  digest(): string;
  /** A copy of the trainable parameters, one buffer per layout group. */
  parameters(): (Float32Array | Float64Array)[];
  /** Runs `fn` with the trainable parameters replaced by `params` (same groups), then puts them back. */
  withParameters<T>(params: readonly (Float32Array | Float64Array)[], fn: () => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

const SNAPSHOT_MAGIC = "sp0-model-snapshot-1";
const SNAPSHOT_MAGIC_2 = "sp0-model-snapshot-2";
/** The snapshot's files: parameters, Adam m, Adam v. */
export const SNAPSHOT_FILES = ["params.safetensors", "adam_m.safetensors", "adam_v.safetensors"] as const;

export function loadModel(dir: string, opts: LoadModelOptions = {}): LoadedModel {
  const config = loadDecoderConfig(dir);
  if (memoryCheckEnabled(opts.memoryCheck !== false)) {
    const plan = { mode: opts.lora ? { kind: "lora" as const, ...opts.lora } : { kind: "full" as const }, dtype: opts.dtype, ...(typeof opts.memoryCheck === "object" ? opts.memoryCheck : {}) };
    checkMemory(`${opts.lora ? `LoRA (rank ${opts.lora.rank}) training` : "full fine-tuning"} of ${basename(resolve(dir))}`, estimateMemory(config, plan), undefined, !!opts.lora);
  }
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
    maxGroup: opts.maxGroup,
    fullWeights: opts.fullWeights ?? ((opts.device ?? "cpu") === "cpu" ? "inputs" : "initializers"),
  });
  if (!opts.lora) weights.clear(); // full fine-tuning: the flat buffer is now the only copy
  const binding = trainer.binding();
  const scorer = new LogprobScorer(config, binding, session, 16, opts.scoreTemperature ?? 1);
  const padId = config.padTokenId ?? tokenizer.padId ?? 0;
  // A config's vocabulary may be padded past the tokenizer's (Qwen3: 151,936 rows, 151,669 ids) and
  // sampling can draw a padded id: the text skips it, as transformers' decode does.
  const decode = (ids: readonly number[]) => tokenizer.decode(ids.filter((id) => tokenizer.idToToken(id) !== undefined));
  const generator = new Generator(config, binding, decode, { session, padId });

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
    snapshot: () => snapshotOf(trainer),
    restore: (state) => restoreInto(trainer, state),
    digest() {
      const h = createHash("sha256");
      for (const p of trainer.paramGroups) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
      return h.digest("hex");
    },
    parameters: () => trainer.paramGroups.map((p) => p.slice()),
    async withParameters(params, fn) {
      const own = trainer.paramGroups;
      if (params.length !== own.length || params.some((p, i) => p.length !== own[i]!.length || p.constructor !== own[i]!.constructor)) {
        throw new ModelError(`withParameters: groups [${params.map((p) => p.length).join(", ")}] do not fit this model's [${own.map((p) => p.length).join(", ")}]`);
      }
      trainer.paramGroups = [...params];
      try {
        return await fn();
      } finally {
        trainer.paramGroups = own;
      }
    },
    async release() {
      await scorer.release();
      await generator.release();
      await trainer.release();
    },
  };
}

type Flat = Float32Array | Float64Array;

interface SnapshotMeta {
  magic: string;
  dtype: FloatDType;
  total: number;
  steps: number;
  /** Element counts of the layout's groups (how the tensors pack into flat buffers). */
  groups: number[];
}

/** The trainer's state as named tensors viewing its buffers: no copy, whatever the model's size. */
function snapshotOf(trainer: LmTrainer): TensorState {
  const meta: SnapshotMeta = { magic: SNAPSHOT_MAGIC_2, dtype: trainer.dtype, total: trainer.layout.total, steps: trainer.steps, groups: trainer.layout.groups.map((g) => g.total) };
  const named = (buffers: Flat[]): StateTensor[] => trainer.layout.slots.map((s) => ({ name: s.spec.name, shape: s.spec.shape, data: trainer.layout.view(buffers, s.spec.name) }));
  const [p, m, v] = SNAPSHOT_FILES;
  return {
    meta: new TextEncoder().encode(JSON.stringify(meta)),
    files: { [p]: named(trainer.paramGroups), [m]: named(trainer.mGroups), [v]: named(trainer.vGroups) },
  };
}

/**
 * The group buffers of one snapshot file. When the tensors already view buffers laid out as the
 * groups (a snapshot passed along, or a checkpoint read back packed the same way), those buffers
 * are taken as they are; otherwise each tensor is copied into fresh group buffers.
 */
function groupsOf(trainer: LmTrainer, file: string, tensors: readonly StateTensor[] | undefined): Flat[] {
  const layout = trainer.layout;
  if (!tensors) throw new ModelError(`restore: the snapshot has no ${file}`);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const Want = trainer.dtype === "float64" ? Float64Array : Float32Array;
  for (const s of layout.slots) {
    const t = byName.get(s.spec.name);
    if (!t || t.data.length !== s.size || !(t.data instanceof Want)) throw new ModelError(`restore: ${file} has no ${trainer.dtype} tensor ${s.spec.name} of ${s.size} values`);
  }
  if (byName.size !== layout.slots.length) throw new ModelError(`restore: ${file} holds ${byName.size} tensors, this model trains ${layout.slots.length}`);
  const adopted = layout.groups.map((g, i) => {
    const first = layout.slots.find((s) => s.group === i && s.offset === 0);
    if (!first) return undefined;
    const d = byName.get(first.spec.name)!.data;
    return d.byteOffset + g.total * Want.BYTES_PER_ELEMENT <= d.buffer.byteLength ? new Want(d.buffer as ArrayBuffer, d.byteOffset, g.total) : undefined;
  });
  const fits = layout.slots.every((s) => {
    const a = adopted[s.group];
    const d = byName.get(s.spec.name)!.data;
    return a !== undefined && d.buffer === a.buffer && d.byteOffset === a.byteOffset + s.offset * Want.BYTES_PER_ELEMENT;
  });
  if (fits) return adopted as Flat[];
  const out = layout.zeros(trainer.dtype);
  for (const s of layout.slots) out[s.group]!.set(byName.get(s.spec.name)!.data, s.offset);
  return out;
}

function restoreInto(trainer: LmTrainer, state: TensorState | Uint8Array): void {
  if (state instanceof Uint8Array) return restoreSingleBuffer(trainer, state);
  let h: SnapshotMeta;
  try {
    h = JSON.parse(new TextDecoder().decode(state.meta)) as SnapshotMeta;
  } catch {
    throw new ModelError("restore: the snapshot's header is not JSON");
  }
  if (h.magic !== SNAPSHOT_MAGIC_2 || h.dtype !== trainer.dtype || h.total !== trainer.layout.total) {
    throw new ModelError(`restore: snapshot (${h.magic}, ${h.dtype}, ${h.total} parameters) does not fit this model (${trainer.dtype}, ${trainer.layout.total})`);
  }
  const [p, m, v] = SNAPSHOT_FILES;
  const params = groupsOf(trainer, p, state.files[p]);
  const mm = groupsOf(trainer, m, state.files[m]);
  const vv = groupsOf(trainer, v, state.files[v]);
  trainer.paramGroups = params;
  trainer.mGroups = mm;
  trainer.vGroups = vv;
  trainer.steps = h.steps;
}

/** The pre-safetensors snapshot: a JSON header, then params, m and v packed in one buffer. */
function restoreSingleBuffer(trainer: LmTrainer, state: Uint8Array): void {
  const hl = new DataView(state.buffer, state.byteOffset, state.byteLength).getUint32(0, true);
  let h: { magic: string; dtype: FloatDType; total: number; steps: number };
  try {
    h = JSON.parse(new TextDecoder().decode(state.subarray(4, 4 + hl))) as typeof h;
  } catch {
    throw new ModelError("restore: not a model snapshot (its header is not JSON)");
  }
  if (h.magic !== SNAPSHOT_MAGIC || h.dtype !== trainer.dtype || h.total !== trainer.layout.total) {
    throw new ModelError(`restore: snapshot (${h.magic}, ${h.dtype}, ${h.total} parameters) does not fit this model (${trainer.dtype}, ${trainer.layout.total})`);
  }
  if (trainer.layout.groups.length !== 1) throw new ModelError(`restore: a single-buffer snapshot (written before checkpoints were safetensors) fits only a one-group model; this one has ${trainer.layout.groups.length} groups`);
  const bytes = h.total * (h.dtype === "float64" ? 8 : 4);
  const take = (i: number) => {
    const src = state.slice(4 + hl + i * bytes, 4 + hl + (i + 1) * bytes);
    return h.dtype === "float64" ? new Float64Array(src.buffer) : new Float32Array(src.buffer);
  };
  trainer.paramGroups = [take(0)];
  trainer.mGroups = [take(1)];
  trainer.vGroups = [take(2)];
  trainer.steps = h.steps;
}
