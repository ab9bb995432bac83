// The simulator's two parametric players.
//
// Generator: softmax over a passage's candidate spans with logits theta . phi(c).
// Predictor: solves span c with probability sigmoid(skill(c) - d(c)), where d(c) is a FIXED
// intrinsic difficulty and skill(c) = S tanh((w . phi(c) + b) / S) with learnable w, b.
// The saturation S = SKILL_CAP bounds what training can reach, and d grows quadratically with
// length, so long rare spans stay out of reach: the predictor cannot make everything solvable, and
// a reward that favours unsolvable masks ("plain") has something to find.
import { hashString } from "../../runtime/rng.ts";
import { FEATURE, NUM_FEATURES, type SpanCandidates } from "./spans.ts";

/** Weights of the intrinsic difficulty (logit units). */
export const DIFFICULTY = Object.freeze({
  /** Per extra word, and per extra word squared: 1 word 0, 2 words 1.2, 3 words 3.2, 4 words 6. */
  perWord: 0.8,
  perWordSq: 0.4,
  /** Rare words (names, jargon) are hard to guess; common function words are easy. */
  rarity: 3,
  /** Exact numbers are rarely recoverable from context. */
  numeric: 2,
  /** Every occurrence is masked, so repeated spans lose their own context. */
  frequency: 1,
  /** Passage-specific context: how well the rest of the paragraph gives the span away. Deterministic per (passage, span), invisible to both players. */
  context: 1.5,
});

/** Saturation of the skill (logit units): skill(c) is in (-SKILL_CAP, SKILL_CAP) whatever w, b are. */
export const SKILL_CAP = 4.5;

/** Box constraints on the raw skill parameters, so Adam cannot wander far into the flat tanh tails. */
export const SKILL_BOUNDS = Object.freeze({ wMin: -3, wMax: 3, bMin: -6, bMax: 6 });

/** Initial predictor bias (w starts at 0): accuracy about 0.3 on uniformly drawn Factbook spans. */
export const INITIAL_SKILL_BIAS = 3;

const difficultyCache = new WeakMap<SpanCandidates, Float64Array>();

/** Fixed difficulty of every candidate (logit units), cached per candidate set. */
export function difficulties(cands: SpanCandidates): Float64Array {
  const hit = difficultyCache.get(cands);
  if (hit !== undefined) return hit;
  const f = cands.features;
  const passageHash = hashString(cands.passage);
  const out = new Float64Array(cands.spans.length);
  for (let c = 0; c < out.length; c++) {
    const o = c * NUM_FEATURES;
    const extra = cands.words[c]! - 1;
    const ctx = (Math.imul(hashString(cands.spans[c]!) ^ passageHash, 0x9e3779b1) >>> 0) / 4294967296 - 0.5;
    out[c] =
      DIFFICULTY.perWord * extra +
      DIFFICULTY.perWordSq * extra * extra +
      DIFFICULTY.rarity * f[o + FEATURE.rarity]! +
      DIFFICULTY.numeric * f[o + FEATURE.numeric]! +
      DIFFICULTY.frequency * f[o + FEATURE.frequency]! +
      DIFFICULTY.context * ctx;
  }
  difficultyCache.set(cands, out);
  return out;
}

/** Fixed difficulty of candidate `c`. */
export function intrinsicDifficulty(cands: SpanCandidates, c: number): number {
  return difficulties(cands)[c]!;
}

/** phi(c) . v for the candidate's feature row. */
export function featureDot(cands: SpanCandidates, c: number, v: ArrayLike<number>, vOffset = 0): number {
  const f = cands.features;
  const o = c * NUM_FEATURES;
  let s = 0;
  for (let k = 0; k < NUM_FEATURES; k++) s += f[o + k]! * v[vOffset + k]!;
  return s;
}

/** Generator distribution over all candidates (softmax of theta . phi), max-shifted for stability. */
export function generatorProbs(cands: SpanCandidates, theta: ArrayLike<number>, thetaOffset = 0): Float64Array {
  const n = cands.spans.length;
  const p = new Float64Array(n);
  let max = -Infinity;
  for (let c = 0; c < n; c++) {
    const z = featureDot(cands, c, theta, thetaOffset);
    p[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < n; c++) {
    const e = Math.exp(p[c]! - max);
    p[c] = e;
    sum += e;
  }
  for (let c = 0; c < n; c++) p[c] = p[c]! / sum;
  return p;
}

/** E_pi[phi] under the given generator distribution. */
export function expectedFeatures(cands: SpanCandidates, probs: ArrayLike<number>): Float64Array {
  const out = new Float64Array(NUM_FEATURES);
  const f = cands.features;
  for (let c = 0; c < probs.length; c++) {
    const pc = probs[c]!;
    if (pc === 0) continue;
    const o = c * NUM_FEATURES;
    for (let k = 0; k < NUM_FEATURES; k++) out[k] = out[k]! + pc * f[o + k]!;
  }
  return out;
}

/** Logit of solving, skill(c) - d(c), and d logit / d raw skill. `skills` holds w (NUM_FEATURES values) then b. */
export function solveLogitAndSlope(cands: SpanCandidates, c: number, skills: ArrayLike<number>, offset = 0): { logit: number; slope: number } {
  const raw = featureDot(cands, c, skills, offset) + skills[offset + NUM_FEATURES]!;
  const t = Math.tanh(raw / SKILL_CAP);
  return { logit: SKILL_CAP * t - intrinsicDifficulty(cands, c), slope: 1 - t * t };
}

/** Logit of solving candidate c: skill(c) - d(c). */
export function solveLogit(cands: SpanCandidates, c: number, skills: ArrayLike<number>, offset = 0): number {
  return solveLogitAndSlope(cands, c, skills, offset).logit;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log sigmoid(z) and log(1 - sigmoid(z)) without cancellation. */
export function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

/** Probability that the predictor solves candidate c. */
export function solveProbability(cands: SpanCandidates, c: number, skills: ArrayLike<number>, offset = 0): number {
  return sigmoid(solveLogit(cands, c, skills, offset));
}

/** Project skills onto SKILL_BOUNDS in place. */
export function clampSkills(skills: Float64Array, offset = 0): void {
  for (let k = 0; k < NUM_FEATURES; k++) {
    skills[offset + k] = Math.min(SKILL_BOUNDS.wMax, Math.max(SKILL_BOUNDS.wMin, skills[offset + k]!));
  }
  const b = offset + NUM_FEATURES;
  skills[b] = Math.min(SKILL_BOUNDS.bMax, Math.max(SKILL_BOUNDS.bMin, skills[b]!));
}
