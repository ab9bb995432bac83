/**
 * Next-token sampling on the host from one row of logits: temperature, top-k, top-p, greedy.
 *
 * The behaviour log-prob returned is log softmax(logits / temperature)[token] over the whole
 * vocabulary (before top-k/top-p truncation), the quantity a trainer recomputes from the same
 * logits; with temperature 0 (greedy) it is the plain log-softmax at temperature 1.
 * Truncation uses linear-time selection rather than a full sort of the vocabulary.
 *
 * The entropy returned is that of the same untruncated distribution, in nats:
 * H = lse - sum_i p_i z_i with z = logits / temperature, p = softmax(z), folded into the pass that
 * already computes p (greedy: temperature 1, from the pass that computes the log-sum-exp).
 */

export interface SamplingParams {
  /** 0 = greedy. */
  readonly temperature: number;
  /** Keep the k most likely tokens; 0 or absent = off. */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose mass reaches topP; 1 or absent = off. */
  readonly topP?: number;
}

export interface Sampled {
  readonly token: number;
  readonly logprob: number;
  /** Entropy (nats) of softmax(logits / temperature) over the whole vocabulary; temperature 1 when greedy. */
  readonly entropy: number;
}

export function validateSampling(p: SamplingParams): void {
  if (!(p.temperature >= 0) || !Number.isFinite(p.temperature)) throw new RangeError(`temperature must be >= 0, got ${p.temperature}`);
  if (p.topK !== undefined && !(Number.isInteger(p.topK) && p.topK >= 0)) throw new RangeError(`topK must be an integer >= 0, got ${p.topK}`);
  if (p.topP !== undefined && !(p.topP > 0 && p.topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${p.topP}`);
}

function logSumExp(x: ArrayLike<number>, scale: number): { max: number; lse: number } {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] * scale > max) max = x[i] * scale;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] * scale - max);
  return { max, lse: max + Math.log(s) };
}

/** Log-sum-exp of the logits and the entropy of their softmax (temperature 1), in two passes. */
function logSumExpEntropy(x: ArrayLike<number>): { lse: number; entropy: number } {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let s = 0;
  let sz = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp(x[i] - max);
    s += e;
    // A -Infinity logit has weight 0; skip it rather than add 0 * -Infinity = NaN.
    if (e !== 0) sz += e * (x[i] - max);
  }
  const lse = max + Math.log(s);
  // H = lse - E[x] = log s - E[x - max], each term shifted by max to keep precision.
  return { lse, entropy: Math.max(0, Math.log(s) - sz / s) };
}

/**
 * The policy's log-prob and entropy for `token` under the whole row at this temperature (greedy:
 * temperature 1): what a sample drawn from a truncated row (constrained decoding) records.
 */
export function policyScore(logits: ArrayLike<number>, token: number, temperature: number): { logprob: number; entropy: number } {
  const scale = temperature > 0 ? 1 / temperature : 1;
  if (scale === 1) {
    const { lse, entropy } = logSumExpEntropy(logits);
    return { logprob: logits[token] - lse, entropy };
  }
  const scaled = Float64Array.from(logits as ArrayLike<number>, (x) => x * scale);
  const { lse, entropy } = logSumExpEntropy(scaled);
  return { logprob: scaled[token] - lse, entropy };
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Three-way partition of idx[lo, hi) by probs around pivot: [> pivot | == pivot | < pivot]. */
function partition3(idx: Int32Array, lo: number, hi: number, probs: Float64Array, pivot: number): [number, number] {
  let lt = lo;
  let i = lo;
  let gt = hi;
  // Dutch flag, descending.
  while (i < gt) {
    const v = probs[idx[i]];
    if (v > pivot) {
      const t = idx[lt];
      idx[lt++] = idx[i];
      idx[i++] = t;
    } else if (v < pivot) {
      const t = idx[--gt];
      idx[gt] = idx[i];
      idx[i] = t;
    } else i++;
  }
  return [lt, gt];
}

function medianPivot(idx: Int32Array, lo: number, hi: number, probs: Float64Array): number {
  const a = probs[idx[lo]];
  const b = probs[idx[(lo + hi) >>> 1]];
  const c = probs[idx[hi - 1]];
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Rearranges idx[0, n) so idx[0, k) holds the k largest probs; returns k (clamped to n). */
export function selectTopK(idx: Int32Array, n: number, probs: Float64Array, k: number): number {
  if (k >= n) return n;
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const [gEnd, eEnd] = partition3(idx, lo, hi, probs, medianPivot(idx, lo, hi, probs));
    if (k <= gEnd) hi = gEnd;
    else if (k <= eEnd) return k;
    else lo = eEnd;
  }
  return k;
}

/**
 * Rearranges idx[0, n) so idx[0, k) is the smallest set of largest probs whose mass reaches
 * `target`; returns k (at least 1).
 */
export function selectTopP(idx: Int32Array, n: number, probs: Float64Array, target: number): number {
  let lo = 0;
  let hi = n;
  let acc = 0;
  while (hi - lo > 1) {
    const [gEnd, eEnd] = partition3(idx, lo, hi, probs, medianPivot(idx, lo, hi, probs));
    let gMass = 0;
    for (let i = lo; i < gEnd; i++) gMass += probs[idx[i]];
    if (gEnd > lo && acc + gMass >= target) {
      hi = gEnd;
      continue;
    }
    acc += gMass;
    for (let i = gEnd; i < eEnd; i++) {
      acc += probs[idx[i]];
      if (acc >= target) return i + 1;
    }
    lo = eEnd;
  }
  return Math.max(1, hi);
}

/** Draws one token from a row of logits; `uniform` is called once unless greedy. */
export function sampleToken(logits: ArrayLike<number>, p: SamplingParams, uniform: () => number, scratch?: SamplerScratch): Sampled {
  if (p.temperature === 0) {
    const token = argmax(logits);
    const { lse, entropy } = logSumExpEntropy(logits);
    return { token, logprob: logits[token] - lse, entropy };
  }
  const V = logits.length;
  const scale = 1 / p.temperature;
  const { lse } = logSumExp(logits, scale);
  const s = scratch && scratch.probs.length === V ? scratch : new SamplerScratch(V);
  const probs = s.probs;
  const idx = s.idx;
  // sum_i p_i log p_i, accumulated in the pass that computes p (log p_i = z_i - lse).
  let plogp = 0;
  for (let i = 0; i < V; i++) {
    const lp = logits[i] * scale - lse;
    const p = Math.exp(lp);
    probs[i] = p;
    idx[i] = i;
    if (p !== 0) plogp += p * lp;
  }
  const entropy = Math.max(0, -plogp);
  let n = V;
  if (p.topK && p.topK > 0 && p.topK < V) n = selectTopK(idx, n, probs, p.topK);
  if (p.topP !== undefined && p.topP < 1) {
    let mass = 0;
    for (let i = 0; i < n; i++) mass += probs[idx[i]];
    n = selectTopP(idx, n, probs, p.topP * mass);
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += probs[idx[i]];
  let r = uniform() * total;
  let token = idx[n - 1];
  for (let i = 0; i < n; i++) {
    r -= probs[idx[i]];
    if (r < 0) {
      token = idx[i];
      break;
    }
  }
  return { token, logprob: logits[token] * scale - lse, entropy };
}

/** Reusable buffers for one vocabulary size (avoids two V-sized allocations per token). */
export class SamplerScratch {
  readonly probs: Float64Array;
  readonly idx: Int32Array;
  constructor(vocab: number) {
    this.probs = new Float64Array(vocab);
    this.idx = new Int32Array(vocab);
  }
}
