// Next-token pretraining of a small Llama-architecture model on the engine: the project's own way
// to make the default model it ships. Documents are the corpus passages; a share of them is also
// rendered as compact PretrainZero examples (as fill-in-the-middle pretraining does), so that the
// base model knows the task formats before any RL.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mul, reduceMean, reshape, tokenLogProbs } from "../engine/ops/index.ts";
import { ParamLayout, normalFrom, type ParamSpec } from "../engine/params.ts";
import { hostTensor, type Device } from "../engine/session.ts";
import { Trainer } from "../engine/train-step.ts";
import type { Graph, Tensor } from "../engine/graph.ts";
import { learningRate, type LrSchedule } from "../rl/schedule.ts";
import { rng } from "../runtime/rng.ts";
import type { SpanFilter } from "../tasks/pretrainzero/span-rules.ts";
import { maskPassage } from "../tasks/pretrainzero/mask.ts";
import { compactGeneratorExample, compactPredictorExample } from "../tasks/pretrainzero/prompts.ts";
import { tokenizerJson, trainBpe } from "./bpe-train.ts";
import { decoderForward, decoderParamSpecs, lmHead, paramWeights } from "./decoder.ts";
import { parseDecoderConfig, type DecoderConfig } from "./hf-config.ts";
import { writeSafetensors, type SafetensorsDtype, type TensorToWrite } from "./safetensors.ts";
import { TextTokenizer } from "./tokenizer.ts";

export const EOS = "<|endoftext|>";
export const PAD = "<|pad|>";

export interface PretrainOptions {
  seed: number;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  seqLen: number;
  batch: number;
  steps: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  /** Share of passages also rendered as compact task examples. */
  taskShare: number;
  dtype: SafetensorsDtype;
  /** A Python mix (absent: corpus only, how fixtures/default-model was made). */
  python?: PythonMix;
  /**
   * Rules the task examples' spans obey (src/tasks/pretrainzero/span-rules.ts): with "content" the
   * generator examples show content spans on word boundaries that occur once, the masks a run with
   * --span-filter content accepts. Absent: any 1–3 words (the original default model).
   */
  exampleFilter?: SpanFilter;
  /** A second corpus whose training passages were added (recorded; the caller loads it). */
  alsoCorpus?: string;
}

/**
 * Python in the pretraining mix, for Absolute Zero's code tasks: synthetic AZR examples (whole
 * compact proposer/solver documents) and chunks of the Python standard library.
 */
export interface PythonMix {
  /** Share of the training characters that are Python; the corpus passages are subsampled to the rest (1: no corpus). */
  share: number;
  /** Synthetic programs rendered as AZR documents (two documents each). */
  programs: number;
  /** Share of the Python characters that are standard-library source rather than AZR documents. */
  stdlibShare: number;
  /** Longest standard-library chunk, in characters. */
  chunkChars: number;
}

/** The Python documents a mix draws from (rendering them needs the sandbox, so the caller builds them). */
export interface PythonSources {
  azr: readonly string[];
  stdlib: readonly string[];
}

export const DEFAULT_PRETRAIN: PretrainOptions = {
  seed: 1,
  vocabSize: 4096,
  hidden: 256,
  layers: 4,
  heads: 4,
  kvHeads: 2,
  intermediate: 704,
  seqLen: 128,
  batch: 16,
  steps: 600,
  lr: 2e-3,
  warmup: 30,
  weightDecay: 0.1,
  taskShare: 0.3,
  dtype: "BF16",
};

/** The HF config.json of the model pretrain builds. */
export function pretrainConfigJson(o: PretrainOptions): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: o.hidden,
    intermediate_size: o.intermediate,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    num_key_value_heads: o.kvHeads,
    head_dim: o.hidden / o.heads,
    hidden_act: "silu",
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: null,
    max_position_embeddings: Math.max(512, o.seqLen),
    vocab_size: o.vocabSize,
    tie_word_embeddings: true,
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: null,
    eos_token_id: 0,
    pad_token_id: 1,
    torch_dtype: o.dtype === "BF16" ? "bfloat16" : o.dtype === "F16" ? "float16" : "float32",
  };
}

/** A random 1–3 word span that masks validly (under `filter`, also a unique content span), for rendering task examples. */
function exampleSpan(passage: string, seed: number, i: number, filter?: SpanFilter): string | null {
  const words = passage.split(/\s+/).filter(Boolean);
  const r = rng({ seed, step: 0, role: "pretrain-span", item: i });
  const rules = filter && filter !== "none" ? { mode: "words" as const, filter, maxOccurrences: 2 } : { mode: "words" as const };
  for (let attempt = 0; attempt < (filter && filter !== "none" ? 24 : 8); attempt++) {
    const len = 1 + r.int(3);
    if (words.length <= len) return null;
    const start = r.int(words.length - len);
    const span = words.slice(start, start + len).join(" ").replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    if (span.length === 0) continue;
    if ("masked" in maskPassage(passage, span, rules)) return span;
  }
  return null;
}

/**
 * The training documents: every passage, plus compact task examples for a share of them. With a
 * Python mix (o.python and `python`), also every AZR document, standard-library chunks drawn
 * until they make stdlibShare of the Python characters, and the corpus documents subsampled to
 * (1 - share) of all characters. Without one, exactly the documents fixtures/default-model saw.
 */
export function pretrainDocuments(passages: readonly string[], o: PretrainOptions, python?: PythonSources): string[] {
  const corpus = corpusDocuments(passages, o);
  if (!o.python) return shuffled(corpus, o);
  if (!python) throw new Error("pretrainDocuments: options ask for a Python mix but no Python sources were given");
  const m = o.python;
  const chars = (ds: readonly string[]) => ds.reduce((a, d) => a + d.length, 0);
  const docs: string[] = [...python.azr];
  const azrChars = chars(python.azr);
  const stdlibTarget = m.stdlibShare >= 1 ? chars(python.stdlib) : (azrChars * m.stdlibShare) / (1 - m.stdlibShare);
  let have = 0;
  for (const i of rng({ seed: o.seed, step: 0, role: "pretrain-stdlib", item: 0 }).permutation(python.stdlib.length)) {
    if (have >= stdlibTarget) break;
    docs.push(python.stdlib[i]!);
    have += python.stdlib[i]!.length;
  }
  const corpusTarget = m.share >= 1 ? 0 : (chars(docs) * (1 - m.share)) / m.share;
  have = 0;
  for (const i of rng({ seed: o.seed, step: 0, role: "pretrain-corpus", item: 0 }).permutation(corpus.length)) {
    if (have >= corpusTarget) break;
    docs.push(corpus[i]!);
    have += corpus[i]!.length;
  }
  return shuffled(docs, o);
}

function shuffled(docs: readonly string[], o: PretrainOptions): string[] {
  const order = rng({ seed: o.seed, step: 0, role: "pretrain-order", item: 0 }).permutation(docs.length);
  return order.map((i) => docs[i]!);
}

/** Every passage, plus compact task examples for a share of them, in passage order. */
function corpusDocuments(passages: readonly string[], o: PretrainOptions): string[] {
  const docs: string[] = [];
  passages.forEach((p, i) => {
    docs.push(p);
    const r = rng({ seed: o.seed, step: 0, role: "pretrain-task", item: i });
    if (r.float() >= o.taskShare) return;
    const span = exampleSpan(p, o.seed, i, o.exampleFilter);
    if (!span) return;
    const m = maskPassage(p, span, { mode: o.exampleFilter && o.exampleFilter !== "none" ? "words" : "all" });
    if (!("masked" in m)) return;
    docs.push(r.float() < 0.5 ? compactGeneratorExample(p, span) : compactPredictorExample(m.masked, span));
  });
  return docs;
}

/** Concatenated token stream, documents separated by EOS. */
export function tokenStream(docs: readonly string[], tok: TextTokenizer): Int32Array {
  const eos = tok.tokenToId(EOS);
  if (eos === undefined) throw new Error(`tokenizer has no ${EOS}`);
  const parts: number[][] = docs.map((d) => [...tok.encode(d, { addSpecialTokens: false }), eos]);
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Mean next-token cross-entropy of [B, T] windows. */
export function nextTokenLoss(cfg: DecoderConfig, B: number, T: number) {
  return (g: Graph, params: Readonly<Record<string, Tensor>>): Tensor => {
    const ids = g.input("input_ids", "int64", [B, T]);
    const targets = g.input("targets", "int64", [B * T]);
    const positions = g.input("positions", "int64", [B, T]);
    const mask = g.input("attention_mask", "int64", [B, T]);
    const w = paramWeights(params);
    const { hidden } = decoderForward(cfg, w, { ids, positions, mask });
    const logits = lmHead(cfg, w, reshape(hidden, [B * T, cfg.hiddenSize]));
    return mul(reduceMean(tokenLogProbs(logits, targets), [0], false), -1);
  };
}

function initSpecs(cfg: DecoderConfig): ParamSpec[] {
  // GPT-2 style: N(0, 0.02) matrices, residual outputs scaled by 1/sqrt(2·layers), norms at 1.
  const resid = 0.02 / Math.sqrt(2 * cfg.numLayers);
  return decoderParamSpecs(cfg).map((s) => ({
    ...s,
    init: s.name.endsWith("norm.weight")
      ? { fill: 1 }
      : s.name.endsWith("o_proj.weight") || s.name.endsWith("down_proj.weight")
        ? { std: resid }
        : { std: 0.02 },
  }));
}

export interface PretrainStep {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  tokensPerS: number;
}

export interface PretrainResult {
  outDir: string;
  params: number;
  trainTokens: number;
  trainPassages: number;
  losses: number[];
  seconds: number;
}

/** Trains the tokenizer and the model on `train` (the corpus' training split) and writes an HF folder to `outDir`. */
export async function pretrain(
  train: readonly string[],
  outDir: string,
  o: PretrainOptions,
  onStep?: (s: PretrainStep) => void,
  python?: PythonSources,
  /** Where the training graphs run; not an option, so pretrain.json stays the same on either. */
  device: Device = "cpu",
): Promise<PretrainResult> {
  const docs = pretrainDocuments(train, o, python);
  const bpe = trainBpe(docs, { vocabSize: o.vocabSize, specialTokens: [EOS, PAD] });
  const tjson = tokenizerJson(bpe);
  const tconf = { eos_token: EOS, pad_token: PAD, bos_token: null, add_bos_token: false, model_max_length: Math.max(512, o.seqLen) };
  const tok = TextTokenizer.fromJson(tjson, tconf);
  const stream = tokenStream(docs, tok);
  const cfgJson = pretrainConfigJson(o);
  const cfg = parseDecoderConfig(cfgJson);

  const layout = new ParamLayout(initSpecs(cfg));
  const uniform = (() => {
    const r = rng({ seed: o.seed, step: 0, role: "init", item: 0 });
    return () => r.float();
  })();
  const B = o.batch;
  const T = o.seqLen;
  const trainer = new Trainer(
    layout,
    { kind: "adamw", beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: o.weightDecay, clipNorm: 1 },
    () => nextTokenLoss(cfg, B, T),
    layout.initialize(normalFrom(uniform)),
    { deterministic: true, device },
  );
  const schedule: LrSchedule = { kind: "cosine", lr: o.lr, warmup: o.warmup, total: o.steps, minRatio: 0.1 };
  const windows = Math.floor((stream.length - 1) / T);
  const positions = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) positions[b * T + t] = BigInt(t);
  const mask = new BigInt64Array(B * T).fill(1n);
  const losses: number[] = [];
  const t0 = performance.now();
  let epochPerm: number[] = [];
  for (let step = 0; step < o.steps; step++) {
    const ids = new BigInt64Array(B * T);
    const targets = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) {
      const k = step * B + b;
      const epoch = Math.floor(k / windows);
      if (k % windows === 0 || epochPerm.length === 0) epochPerm = rng({ seed: o.seed, step: epoch, role: "pretrain-windows", item: 0 }).permutation(windows);
      const start = epochPerm[k % windows]! * T;
      for (let t = 0; t < T; t++) {
        ids[b * T + t] = BigInt(stream[start + t]!);
        targets[b * T + t] = BigInt(stream[start + t + 1]!);
      }
    }
    const lr = learningRate(step, schedule);
    const r = await trainer.step(`b${B}t${T}`, {
      input_ids: hostTensor("int64", [B, T], ids),
      targets: hostTensor("int64", [B * T], targets),
      positions: hostTensor("int64", [B, T], positions),
      attention_mask: hostTensor("int64", [B, T], mask),
    }, lr);
    losses.push(r.loss);
    const secs = (performance.now() - t0) / 1000;
    onStep?.({ step, loss: r.loss, gradNorm: r.gradNorm, lr, tokensPerS: ((step + 1) * B * T) / secs });
  }
  const seconds = (performance.now() - t0) / 1000;

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "config.json"), `${JSON.stringify(cfgJson, null, 2)}\n`);
  writeFileSync(join(outDir, "tokenizer.json"), JSON.stringify(tjson));
  writeFileSync(join(outDir, "tokenizer_config.json"), `${JSON.stringify(tconf, null, 2)}\n`);
  const tensors = new Map<string, TensorToWrite>(
    layout.slots.map((s) => [s.spec.name, { dtype: o.dtype, shape: [...s.spec.shape], data: Float32Array.from(layout.read(trainer.params, s.spec.name)) }]),
  );
  writeSafetensors(join(outDir, "model.safetensors"), tensors);
  const result: PretrainResult = {
    outDir,
    params: layout.total,
    trainTokens: o.steps * B * T,
    trainPassages: train.length,
    losses,
    seconds,
  };
  writeFileSync(
    join(outDir, "pretrain.json"),
    `${JSON.stringify({ options: o, ...result, losses: undefined, lossFirst: losses[0], lossLast: losses.at(-1), streamTokens: stream.length }, null, 2)}\n`,
  );
  await trainer.release();
  return result;
}


