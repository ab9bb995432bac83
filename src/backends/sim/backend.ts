// The simulator backend: the learner's model replaced by two tiny parametric players (policy.ts)
// over candidate spans (spans.ts), so thousands of PretrainZero episodes run per second.
//
// Training: one GRPO update per batch. The loss is clippedSurrogate with logRatio = current
// log-prob - behaviour log-prob; the sim updates once per batch and samples with the current
// parameters, so the ratio is exactly 1 unless a request for a later step was sampled before
// train() (then the clip works as in PPO). Each completion is one "token"; the gradient is the
// token-level mean over all samples of the batch. Optimizer: Adam (beta 0.9/0.999, eps 1e-8)
// with separate learning rates for the generator (theta) and the predictor (w, b); Adam makes the
// step size independent of the gradient scale, so the rates read as logit units per step.
import type { Completion, SampleRequest, SampleResponse } from "../../protocol/messages.ts";
import type { GrpoBatch, TrainResult } from "../../rl/batch-types.ts";
import { grpoConfig, type GrpoConfig } from "../../rl/grpo.ts";
import { clippedSurrogate } from "../../rl/objective-js.ts";
import type { LearnerBackend } from "../backend.ts";
import { rng } from "../../runtime/rng.ts";
import { MASK_TOKEN, occurrenceOffsets } from "../../tasks/pretrainzero/mask.ts";
import { maskedOfPredictorPrompt, passageOfGeneratorPrompt } from "../../tasks/pretrainzero/prompts.ts";
import type { RewardDesign } from "../../tasks/pretrainzero/rewards.ts";
import { generatorProbs, expectedFeatures, INITIAL_SKILL_BIAS, logSigmoid, sigmoid, SKILL_BOUNDS, solveLogitAndSlope } from "./policy.ts";
import { NUM_FEATURES, spanCandidates, type SpanCandidates } from "./spans.ts";
import { withSampling, type RoleSampling } from "../../runtime/sampling-stats.ts";

export interface SimConfig {
  seed: number;
  design: RewardDesign;
  /** Adam learning rate of the generator's theta. */
  genLr?: number;
  /** Adam learning rate of the predictor's skills w, b. */
  predLr?: number;
  /** Longest candidate span in words. */
  maxSpanWords?: number;
  /** Clip range and advantage settings; grpo.lr is not used (see genLr/predLr). */
  grpo?: Partial<GrpoConfig>;
}

export const DEFAULT_SIM_CONFIG: Readonly<Required<Omit<SimConfig, "grpo">>> & { grpo: Partial<GrpoConfig> } = Object.freeze({
  seed: 0,
  design: "minmax",
  genLr: 0.1,
  predLr: 0.05,
  maxSpanWords: 4,
  grpo: {},
});

const F = NUM_FEATURES;
/** Parameter layout: theta [0, F), w [F, 2F), b at 2F. */
const THETA = 0;
const SKILL = F;
const NUM_PARAMS = 2 * F + 1;
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

const GEN_THOUGHT = "I look for a span that is hard but predictable.";
const PRED_THOUGHT = "The context around [mask] points to these words.";

interface GenRecord {
  passage: string;
  chosen: number[];
  /** Behaviour log-probs of the chosen candidates. */
  logp: number[];
}

interface PredRecord {
  passage: string;
  cand: number;
  solved: boolean[];
  logp: number[];
}

interface StepCache {
  /** Masked passage (every masking variant) -> the hidden span and its passage. */
  masks: Map<string, { span: string; passage: string }>;
  gen: Map<string, GenRecord>;
  pred: Map<string, PredRecord>;
}

/** -sum p log p (nats) of a distribution. */
function categoricalEntropy(probs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i]! > 0) h -= probs[i]! * Math.log(probs[i]!);
  return h;
}

/** Entropy (nats) of Bernoulli(sigmoid(z)), from the logit without cancellation. */
function bernoulliEntropy(z: number): number {
  const p = sigmoid(z);
  return -(p * logSigmoid(z) + (1 - p) * logSigmoid(-z));
}

const MAGIC = 0x53494d31; // "SIM1"

export class SimBackend implements LearnerBackend {
  readonly kind = "sim";
  readonly config: Required<Omit<SimConfig, "grpo">>;
  readonly grpo: GrpoConfig;
  private params = new Float64Array(NUM_PARAMS);
  private m = new Float64Array(NUM_PARAMS);
  private v = new Float64Array(NUM_PARAMS);
  private t = 0;
  private steps = new Map<number, StepCache>();

  constructor(config: SimConfig) {
    this.config = {
      seed: config.seed,
      design: config.design,
      genLr: config.genLr ?? DEFAULT_SIM_CONFIG.genLr,
      predLr: config.predLr ?? DEFAULT_SIM_CONFIG.predLr,
      maxSpanWords: config.maxSpanWords ?? DEFAULT_SIM_CONFIG.maxSpanWords,
    };
    if (!["minmax", "plain", "random"].includes(this.config.design)) {
      throw new Error(`sim: unknown design "${this.config.design}"; accepted: minmax, plain, random`);
    }
    if (!(Number.isInteger(this.config.maxSpanWords) && this.config.maxSpanWords >= 1)) {
      throw new Error(`sim: maxSpanWords must be a positive integer, got ${this.config.maxSpanWords}`);
    }
    this.grpo = grpoConfig(config.grpo);
    this.params[SKILL + F] = INITIAL_SKILL_BIAS;
  }

  /** Copy of the parameters: theta (F), w (F), b. */
  parameters(): Float64Array {
    return this.params.slice();
  }

  theta(): Float64Array {
    return this.params.slice(THETA, THETA + F);
  }

  /** Probability that the predictor solves `span` of `passage` under the current skills (span must be a candidate). */
  solveProbabilityOf(passage: string, span: string): number {
    const cands = this.candidates(passage);
    const c = cands.index.get(span);
    if (c === undefined) throw new Error(`sim: "${span}" is not a candidate span of the passage`);
    return sigmoid(solveLogitAndSlope(cands, c, this.params, SKILL).logit);
  }

  candidates(passage: string): SpanCandidates {
    return spanCandidates(passage, this.config.maxSpanWords);
  }

  private stepCache(step: number): StepCache {
    let s = this.steps.get(step);
    if (s === undefined) {
      s = { masks: new Map(), gen: new Map(), pred: new Map() };
      this.steps.set(step, s);
    }
    return s;
  }

  async sample(req: SampleRequest, requestId: string): Promise<SampleResponse["results"]> {
    if (!(Number.isInteger(req.n) && req.n >= 1)) throw new Error(`sim: request ${requestId}: n must be a positive integer, got ${req.n}`);
    return req.role === "generator" ? this.sampleGenerator(req) : this.samplePredictor(req, requestId);
  }

  private sampleGenerator(req: SampleRequest): SampleResponse["results"] {
    const cache = this.stepCache(req.step);
    const uniform = this.config.design === "random";
    const results: SampleResponse["results"] = [];
    // Each choice is one "token": its entropy is that of the distribution over the passage's candidates.
    const stats: RoleSampling = { completions: 0, tokens: 0, truncated: 0, entropySum: 0 };
    for (const prompt of req.prompts) {
      stats.completions += req.n;
      const passage = passageOfGeneratorPrompt(prompt.text);
      const cands = this.candidates(passage);
      const n = cands.spans.length;
      if (n === 0) {
        // Nothing maskable: the generator writes no mask (scored invalid).
        const completions = Array.from({ length: req.n }, (): Completion => ({ text: `${GEN_THOUGHT}\nThere is nothing to mask.` }));
        cache.gen.set(prompt.key, { passage, chosen: [], logp: [] });
        results.push({ key: prompt.key, completions });
        continue;
      }
      const probs = uniform ? null : generatorProbs(cands, this.params, THETA);
      stats.tokens += req.n;
      stats.entropySum += req.n * (probs === null ? Math.log(n) : categoricalEntropy(probs));
      const chosen: number[] = [];
      const logp: number[] = [];
      const completions: Completion[] = [];
      for (let i = 0; i < req.n; i++) {
        const r = rng({ seed: this.config.seed, step: req.step, role: "generator", item: prompt.key, sample: i });
        const c = probs === null ? r.int(n) : r.categorical(probs);
        chosen.push(c);
        logp.push(probs === null ? -Math.log(n) : Math.log(probs[c]!));
        const span = cands.spans[c]!;
        completions.push({ text: `${GEN_THOUGHT}\n\\mask{${span}}` });
        this.rememberMask(cache, passage, span);
      }
      cache.gen.set(prompt.key, { passage, chosen, logp });
      results.push({ key: prompt.key, completions });
    }
    return withSampling(results, stats);
  }

  /** Register every masking the reward side may produce for this span: all occurrences, or any single one. */
  private rememberMask(cache: StepCache, passage: string, span: string): void {
    const put = (masked: string) => {
      const prev = cache.masks.get(masked);
      // Two passages can mask to the same text; keep the smaller span so arrival order never matters.
      if (prev === undefined || span < prev.span) cache.masks.set(masked, { span, passage });
    };
    const offsets = occurrenceOffsets(passage, span);
    put(passage.split(span).join(MASK_TOKEN));
    if (offsets.length > 1) {
      for (const at of offsets) put(passage.slice(0, at) + MASK_TOKEN + passage.slice(at + span.length));
    }
  }

  private samplePredictor(req: SampleRequest, requestId: string): SampleResponse["results"] {
    const cache = this.steps.get(req.step);
    const results: SampleResponse["results"] = [];
    // Each answer is one Bernoulli "token" (solved or not), the distribution its log-prob is taken under.
    const stats: RoleSampling = { completions: 0, tokens: 0, truncated: 0, entropySum: 0 };
    for (const prompt of req.prompts) {
      const masked = maskedOfPredictorPrompt(prompt.text);
      const hidden = cache?.masks.get(masked);
      if (hidden === undefined) {
        throw new Error(
          `sim: request ${requestId}: predictor prompt "${prompt.key}" at step ${req.step} masks no span the sim generator drew at that step`,
        );
      }
      const cands = this.candidates(hidden.passage);
      const c = cands.index.get(hidden.span)!;
      const { logit } = solveLogitAndSlope(cands, c, this.params, SKILL);
      const p = sigmoid(logit);
      stats.completions += req.n;
      stats.tokens += req.n;
      stats.entropySum += req.n * bernoulliEntropy(logit);
      const solved: boolean[] = [];
      const logp: number[] = [];
      const completions: Completion[] = [];
      for (let i = 0; i < req.n; i++) {
        const r = rng({ seed: this.config.seed, step: req.step, role: "predictor", item: prompt.key, sample: i });
        const ok = r.float() < p;
        solved.push(ok);
        logp.push(ok ? logSigmoid(logit) : logSigmoid(-logit));
        let answer = hidden.span;
        if (!ok) {
          const n = cands.spans.length;
          if (n > 1) {
            const k = r.int(n - 1);
            answer = cands.spans[k >= c ? k + 1 : k]!;
          } else {
            answer = hidden.span === "unknown" ? "none" : "unknown";
          }
        }
        completions.push({ text: `${PRED_THOUGHT}\n\\boxed{${answer}}` });
      }
      this.stepCache(req.step).pred.set(prompt.key, { passage: hidden.passage, cand: c, solved, logp });
      results.push({ key: prompt.key, completions });
    }
    return withSampling(results, stats);
  }

  async train(batch: GrpoBatch): Promise<TrainResult> {
    const cache = this.steps.get(batch.step);
    const grad = new Float64Array(NUM_PARAMS);
    const trainGen = this.config.design !== "random";
    let samples = 0;
    for (const g of batch.groups) {
      // A passage with no candidates produced mask-less text, not a policy choice: nothing to train.
      if (g.role === "generator" && (!trainGen || cache?.gen.get(g.key)?.chosen.length === 0)) continue;
      samples += g.completions.length;
    }
    let loss = 0;
    let clippedCount = 0;
    const { epsLow, epsHigh } = this.grpo;

    for (const g of batch.groups) {
      if (g.role === "generator") {
        if (!trainGen) continue;
        const rec = cache?.gen.get(g.key);
        if (rec === undefined) throw new Error(`sim: train step ${batch.step}: no generator samples cached for "${g.key}"`);
        if (rec.chosen.length === 0) continue;
        if (rec.chosen.length !== g.completions.length) {
          throw new Error(`sim: train step ${batch.step}: generator group "${g.key}" has ${g.completions.length} completions, sampled ${rec.chosen.length}`);
        }
        const cands = this.candidates(rec.passage);
        const probs = generatorProbs(cands, this.params, THETA);
        const mean = expectedFeatures(cands, probs);
        for (let i = 0; i < rec.chosen.length; i++) {
          const c = rec.chosen[i]!;
          const term = clippedSurrogate(Math.log(probs[c]!) - rec.logp[i]!, g.advantages[i]!, epsLow, epsHigh);
          loss += term.loss;
          if (term.clipped) clippedCount++;
          if (term.dLossDLogp === 0) continue;
          // d log softmax(c) / d theta = phi(c) - E[phi]
          const o = c * F;
          for (let k = 0; k < F; k++) grad[THETA + k] = grad[THETA + k]! + term.dLossDLogp * (cands.features[o + k]! - mean[k]!);
        }
      } else {
        const rec = cache?.pred.get(g.key);
        if (rec === undefined) throw new Error(`sim: train step ${batch.step}: no predictor samples cached for "${g.key}"`);
        if (rec.solved.length !== g.completions.length) {
          throw new Error(`sim: train step ${batch.step}: predictor group "${g.key}" has ${g.completions.length} completions, sampled ${rec.solved.length}`);
        }
        const cands = this.candidates(rec.passage);
        const { logit, slope } = solveLogitAndSlope(cands, rec.cand, this.params, SKILL);
        const p = sigmoid(logit);
        const o = rec.cand * F;
        for (let i = 0; i < rec.solved.length; i++) {
          const y = rec.solved[i]! ? 1 : 0;
          const cur = y === 1 ? logSigmoid(logit) : logSigmoid(-logit);
          const term = clippedSurrogate(cur - rec.logp[i]!, g.advantages[i]!, epsLow, epsHigh);
          loss += term.loss;
          if (term.clipped) clippedCount++;
          if (term.dLossDLogp === 0) continue;
          // d log Bernoulli(y; sigmoid(z)) / dz = y - p; dz/d raw skill = slope; d raw / dw = phi, d raw / db = 1.
          const dz = term.dLossDLogp * (y - p) * slope;
          for (let k = 0; k < F; k++) grad[SKILL + k] = grad[SKILL + k]! + dz * cands.features[o + k]!;
          grad[SKILL + F] = grad[SKILL + F]! + dz;
        }
      }
    }

    let gradNorm = 0;
    if (samples > 0) {
      for (let k = 0; k < NUM_PARAMS; k++) grad[k] = grad[k]! / samples;
      for (let k = 0; k < NUM_PARAMS; k++) gradNorm += grad[k]! * grad[k]!;
      gradNorm = Math.sqrt(gradNorm);
      const maxNorm = this.grpo.maxGradNorm;
      if (maxNorm > 0 && gradNorm > maxNorm) for (let k = 0; k < NUM_PARAMS; k++) grad[k] = (grad[k]! * maxNorm) / gradNorm;
      this.adamStep(grad);
    }
    // Steps up to this one are consumed; later ones may already have been sampled (pipelining).
    for (const s of [...this.steps.keys()]) if (s < batch.step) this.steps.delete(s);
    return { loss: samples > 0 ? loss / samples : 0, gradNorm, clipFrac: samples > 0 ? clippedCount / samples : 0 };
  }

  private adamStep(grad: Float64Array): void {
    this.t++;
    const bc1 = 1 - ADAM.beta1 ** this.t;
    const bc2 = 1 - ADAM.beta2 ** this.t;
    for (let k = 0; k < NUM_PARAMS; k++) {
      const g = grad[k]!;
      this.m[k] = ADAM.beta1 * this.m[k]! + (1 - ADAM.beta1) * g;
      this.v[k] = ADAM.beta2 * this.v[k]! + (1 - ADAM.beta2) * g * g;
      const lr = k < SKILL ? this.config.genLr : this.config.predLr;
      this.params[k] = this.params[k]! - (lr * (this.m[k]! / bc1)) / (Math.sqrt(this.v[k]! / bc2) + ADAM.eps);
    }
    for (let k = SKILL; k < SKILL + F; k++) this.params[k] = Math.min(SKILL_BOUNDS.wMax, Math.max(SKILL_BOUNDS.wMin, this.params[k]!));
    this.params[SKILL + F] = Math.min(SKILL_BOUNDS.bMax, Math.max(SKILL_BOUNDS.bMin, this.params[SKILL + F]!));
  }

  /**
   * Layout: u32 magic, u32 number of f64 values, u32 JSON byte length, u32 reserved; then the f64
   * values (params, Adam m, Adam v, Adam t); then UTF-8 JSON of the config identity and the step
   * caches, with keys sorted so the bytes never depend on request arrival order. Log-probs travel
   * as f64 bytes (base64), never as decimal text.
   */
  snapshot(): Uint8Array {
    const floats = new Float64Array(3 * NUM_PARAMS + 1);
    floats.set(this.params, 0);
    floats.set(this.m, NUM_PARAMS);
    floats.set(this.v, 2 * NUM_PARAMS);
    floats[3 * NUM_PARAMS] = this.t;
    const steps = [...this.steps.keys()].sort((a, b) => a - b).map((s) => {
      const c = this.steps.get(s)!;
      const sorted = <T>(m: Map<string, T>) => [...m.keys()].sort().map((k) => [k, m.get(k)!] as const);
      return {
        step: s,
        masks: sorted(c.masks).map(([k, v]) => [k, v.span, v.passage]),
        gen: sorted(c.gen).map(([k, r]) => [k, r.passage, r.chosen, f64ToBase64(r.logp)]),
        pred: sorted(c.pred).map(([k, r]) => [k, r.passage, r.cand, r.solved.map((b) => (b ? 1 : 0)), f64ToBase64(r.logp)]),
      };
    });
    const json = new TextEncoder().encode(
      JSON.stringify({ seed: this.config.seed, design: this.config.design, maxSpanWords: this.config.maxSpanWords, steps }),
    );
    const out = new Uint8Array(16 + floats.byteLength + json.byteLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, floats.length, true);
    view.setUint32(8, json.byteLength, true);
    out.set(new Uint8Array(floats.buffer), 16);
    out.set(json, 16 + floats.byteLength);
    return out;
  }

  restore(state: Uint8Array): void {
    const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
    if (state.byteLength < 16 || view.getUint32(0, true) !== MAGIC) throw new Error("sim: restore: not a simulator snapshot (bad magic)");
    const count = view.getUint32(4, true);
    const jsonLen = view.getUint32(8, true);
    if (count !== 3 * NUM_PARAMS + 1 || state.byteLength !== 16 + count * 8 + jsonLen) {
      throw new Error(`sim: restore: snapshot has ${count} values and ${state.byteLength} bytes; expected ${3 * NUM_PARAMS + 1} values`);
    }
    const floats = new Float64Array(state.slice(16, 16 + count * 8).buffer);
    const meta = JSON.parse(new TextDecoder().decode(state.subarray(16 + count * 8))) as SnapshotMeta;
    if (meta.seed !== this.config.seed || meta.design !== this.config.design || meta.maxSpanWords !== this.config.maxSpanWords) {
      throw new Error(
        `sim: restore: snapshot is for seed ${meta.seed}, design ${meta.design}, maxSpanWords ${meta.maxSpanWords}; this backend has ${this.config.seed}, ${this.config.design}, ${this.config.maxSpanWords}`,
      );
    }
    this.params = floats.slice(0, NUM_PARAMS);
    this.m = floats.slice(NUM_PARAMS, 2 * NUM_PARAMS);
    this.v = floats.slice(2 * NUM_PARAMS, 3 * NUM_PARAMS);
    this.t = floats[3 * NUM_PARAMS]!;
    this.steps = new Map();
    for (const s of meta.steps) {
      const cache: StepCache = { masks: new Map(), gen: new Map(), pred: new Map() };
      for (const [k, span, passage] of s.masks) cache.masks.set(k, { span, passage });
      for (const [k, passage, chosen, logp] of s.gen) cache.gen.set(k, { passage, chosen, logp: base64ToF64(logp) });
      for (const [k, passage, cand, solved, logp] of s.pred) {
        cache.pred.set(k, { passage, cand, solved: solved.map((b) => b === 1), logp: base64ToF64(logp) });
      }
      this.steps.set(s.step, cache);
    }
  }

  /** 16 hex digits: wyhash of the parameter bytes (theta, w, b as little-endian f64). */
  digest(): string {
    return Bun.hash.wyhash(new Uint8Array(this.params.buffer, this.params.byteOffset, this.params.byteLength), 0n).toString(16).padStart(16, "0");
  }
}

interface SnapshotMeta {
  seed: number;
  design: RewardDesign;
  maxSpanWords: number;
  steps: {
    step: number;
    masks: [string, string, string][];
    gen: [string, string, number[], string][];
    pred: [string, string, number, number[], string][];
  }[];
}

function f64ToBase64(xs: readonly number[]): string {
  return Buffer.from(Float64Array.from(xs).buffer).toString("base64");
}

function base64ToF64(s: string): number[] {
  const bytes = Buffer.from(s, "base64");
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return Array.from(new Float64Array(copy.buffer));
}
