/**
 * Batched next-token log-probs of given token sequences. Sequences are right-padded to a shape
 * bucket (batch and length rounded up), so one session serves many batches.
 */
import { Graph, type Tensor } from "../engine/graph.ts";
import { exp, gather, logSoftmax, mul, neg, reduceSum, reshape, slice, tokenLogProbs } from "../engine/ops/index.ts";
import { type HostTensor, SessionCache, type SessionOptions, hostTensor } from "../engine/session.ts";
import { type WeightBinding, decoderForward, lmHead } from "./decoder.ts";
import { type DecoderConfig, ModelError } from "./hf-config.ts";

/** Graph input names shared by the log-prob, train and generation graphs. */
export const LM_IO = {
  ids: "input_ids",
  positions: "positions",
  mask: "attention_mask",
  lastRows: "last_rows",
  logprobs: "logprobs",
  lastLogp: "last_logp",
  entropy: "entropy",
} as const;

/** Next power of two >= n (at least `min`): shape buckets. */
export function bucket(n: number, min = 1): number {
  let b = Math.max(1, min);
  while (b < n) b *= 2;
  return b;
}

export interface LogprobGraphOptions {
  readonly batch: number;
  readonly length: number;
  /** Also output the full log-softmax at the row given by input "last_rows" [B]. */
  readonly lastLogp?: boolean;
  /** Logits are divided by this before the softmax (sampling temperature); default 1. */
  readonly temperature?: number;
  /** Also output the entropy of each next-token distribution, [B, T-1]. */
  readonly entropy?: boolean;
}

export interface LmInputs {
  readonly ids: Tensor;
  readonly positions: Tensor;
  readonly mask: Tensor;
}

/** Declares the three token inputs of a [B, T] graph. */
export function lmInputs(g: Graph, batch: number, length: number): LmInputs {
  return {
    ids: g.input(LM_IO.ids, "int64", [batch, length]),
    positions: g.input(LM_IO.positions, "int64", [batch, length]),
    mask: g.input(LM_IO.mask, "int64", [batch, length]),
  };
}

/**
 * log p(ids[t+1] | ids[..t]) for t < T-1: [B, T-1]. Only the rows that predict a token go through
 * the LM head.
 */
export function sequenceLogprobs(cfg: DecoderConfig, binding: ReturnType<WeightBinding["bind"]>, x: LmInputs, temperature = 1, withEntropy = false): { logprobs: Tensor; hidden: Tensor; entropy?: Tensor } {
  const [B, T] = x.ids.shape as number[];
  const { hidden } = decoderForward(cfg, binding.w, x, { project: binding.project });
  const rows = reshape(slice(hidden, [0], [T - 1], [1]), [B * (T - 1), cfg.hiddenSize]);
  let logits = lmHead(cfg, binding.w, rows);
  if (temperature !== 1) logits = mul(logits, 1 / temperature);
  const targets = reshape(slice(x.ids, [1], [T], [1]), [B * (T - 1)]);
  const logprobs = reshape(tokenLogProbs(logits, targets), [B, T - 1]);
  if (!withEntropy) return { logprobs, hidden };
  // H = -sum p log p over the vocabulary, per position.
  const lp = logSoftmax(logits, -1);
  const entropy = reshape(neg(reduceSum(mul(exp(lp), lp), [-1], false)), [B, T - 1]);
  return { logprobs, hidden, entropy };
}

export function buildLogprobGraph(cfg: DecoderConfig, weights: WeightBinding, o: LogprobGraphOptions): Graph {
  if (o.length < 2) throw new ModelError(`logprobs: sequences need at least 2 tokens (bucket length ${o.length})`);
  const g = new Graph(`logprobs_b${o.batch}_t${o.length}`);
  const x = lmInputs(g, o.batch, o.length);
  const bound = weights.bind(g);
  const { logprobs, hidden, entropy } = sequenceLogprobs(cfg, bound, x, o.temperature, o.entropy);
  g.output(logprobs, LM_IO.logprobs);
  if (entropy) g.output(entropy, LM_IO.entropy);
  if (o.lastLogp) {
    const lastRows = g.input(LM_IO.lastRows, "int64", [o.batch]);
    const h = gather(reshape(hidden, [o.batch * o.length, cfg.hiddenSize]), lastRows, 0);
    g.output(logSoftmax(lmHead(cfg, bound.w, h), -1), LM_IO.lastLogp);
  }
  return g;
}

export interface ScoreOptions {
  /** Also return the full log-prob vector after each sequence's last token. */
  readonly lastLogp?: boolean;
  /** Also return the entropy of every next-token distribution. */
  readonly entropy?: boolean;
}

export interface ScoreResult {
  /** logprobs[t] = log p(ids[t+1] | ids[0..t]); length n-1. */
  readonly logprobs: Float32Array;
  /** log p(· | ids) over the vocabulary, when asked for. */
  readonly lastLogp?: Float32Array;
  /** entropy[t] = H(p(· | ids[0..t])); length n-1, when asked for. */
  readonly entropy?: Float32Array;
}

/** Right-padded token feeds: positions 0..n-1, mask 1 on real tokens. */
export function paddedFeeds(seqs: readonly ArrayLike<number>[], batch: number, length: number, padId = 0): Record<string, HostTensor> {
  const ids = new BigInt64Array(batch * length).fill(BigInt(padId));
  const pos = new BigInt64Array(batch * length);
  const mask = new BigInt64Array(batch * length);
  seqs.forEach((s, b) => {
    for (let t = 0; t < s.length; t++) {
      ids[b * length + t] = BigInt(s[t]);
      pos[b * length + t] = BigInt(t);
      mask[b * length + t] = 1n;
    }
  });
  return {
    [LM_IO.ids]: hostTensor("int64", [batch, length], ids),
    [LM_IO.positions]: hostTensor("int64", [batch, length], pos),
    [LM_IO.mask]: hostTensor("int64", [batch, length], mask),
  };
}

/** Scores token sequences; sessions are cached per (batch, length) bucket. */
export class LogprobScorer {
  private readonly cache: SessionCache;

  constructor(
    readonly cfg: DecoderConfig,
    readonly weights: WeightBinding,
    sessionOptions: SessionOptions = {},
    /** Smallest length bucket. */
    readonly minLength = 16,
    /** Logits are divided by this before the softmax (to match log-probs sampled at a temperature). */
    readonly temperature = 1,
  ) {
    this.cache = new SessionCache(sessionOptions);
  }

  async score(seqs: readonly ArrayLike<number>[], opts: ScoreOptions = {}): Promise<ScoreResult[]> {
    if (seqs.length === 0) return [];
    const maxLen = Math.max(...seqs.map((s) => s.length));
    if (seqs.some((s) => s.length < 1)) throw new ModelError("logprobs: empty sequence");
    for (const s of seqs) for (let i = 0; i < s.length; i++) {
      if (!Number.isInteger(s[i]) || s[i] < 0 || s[i] >= this.cfg.vocabSize) throw new ModelError(`logprobs: token id ${s[i]} is outside the vocabulary (${this.cfg.vocabSize})`);
    }
    await this.cache.rebind(this.weights.key);
    const B = bucket(seqs.length);
    const T = bucket(Math.max(maxLen, 2), this.minLength);
    const last = !!opts.lastLogp;
    const ent = !!opts.entropy;
    const session = await this.cache.get(`${this.weights.key}:b${B}:t${T}:${last}${ent ? ":h" : ""}:T${this.temperature}`, () =>
      buildLogprobGraph(this.cfg, this.weights, { batch: B, length: T, lastLogp: last, entropy: ent, temperature: this.temperature }),
    );
    const feeds: Record<string, HostTensor> = { ...paddedFeeds(seqs, B, T), ...this.weights.feeds() };
    if (last) {
      const rows = new BigInt64Array(B);
      seqs.forEach((s, b) => (rows[b] = BigInt(b * T + s.length - 1)));
      feeds[LM_IO.lastRows] = hostTensor("int64", [B], rows);
    }
    const out = await session.run(feeds);
    const lp = out[LM_IO.logprobs].data as Float32Array | Float64Array;
    const lastLp = last ? (out[LM_IO.lastLogp].data as Float32Array | Float64Array) : undefined;
    const h = ent ? (out[LM_IO.entropy].data as Float32Array | Float64Array) : undefined;
    const V = this.cfg.vocabSize;
    return seqs.map((s, b) => ({
      logprobs: Float32Array.from(lp.subarray(b * (T - 1), b * (T - 1) + s.length - 1)),
      ...(lastLp ? { lastLogp: Float32Array.from(lastLp.subarray(b * V, (b + 1) * V)) } : {}),
      ...(h ? { entropy: Float32Array.from(h.subarray(b * (T - 1), b * (T - 1) + s.length - 1)) } : {}),
    }));
  }

  /** Sessions built in the cache (for tests: a binding whose key changed leaves none behind). */
  get sessionCount(): number {
    return this.cache.size;
  }

  async release(): Promise<void> {
    await this.cache.releaseAll();
  }
}
