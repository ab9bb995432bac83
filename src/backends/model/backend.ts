// The learner's real backend: a Hugging Face decoder on the engine. Sampling is seeded per
// (run seed, step, role, prompt key, sample), so a request's completions never depend on which
// other requests ran before it; training is the clipped GRPO surrogate over the step's batch,
// split into minibatches that each take one optimizer step.

import type { Completion, EntropyResponse, LogprobRequest, LogprobResponse, SamplePrompt, SampleRequest, SampleResponse } from "../../protocol/messages.ts";
import { taskOf } from "../../tasks/registry.ts";
import type { GrpoBatch, TrainResult } from "../../rl/batch-types.ts";
import { learningRate, type LrSchedule } from "../../rl/schedule.ts";
import type { LearnerBackend } from "../backend.ts";
import type { ModelRunConfig, RunConfig } from "../../runtime/config.ts";
import type { GenerateRequest } from "../../model/generate.ts";
import type { LoraTarget } from "../../model/lora.ts";
import { loadModel, type LoadedModel } from "../../model/model.ts";
import type { TrainSequence } from "../../model/lm-trainer.ts";
import { encodeValue, decodeValue } from "../../protocol/codec.ts";
import { type ActorState, type TensorState, isTensorState } from "../../runtime/actor-state.ts";
import { addSampling, completionSampling, emptySampling, withSampling } from "../../runtime/sampling-stats.ts";
import { completionStops, PromptEncoder } from "./prompting.ts";

export class ModelBackend implements LearnerBackend {
  readonly kind = "model";
  private updates = 0;
  /** Tokens sampled, for throughput metrics. */
  sampledTokens = 0;

  /** The frozen initial model, for the KL penalty (loaded only when one is asked for). */
  private reference: LoadedModel | null = null;

  /** Exponential moving average of the trainable parameters, when the task scores with it (RLP). */
  private ema: { decay: number; params: (Float32Array | Float64Array)[] } | null = null;

  /** Prompts as plain text or in the model's chat template (--chat-template). */
  private readonly prompts: PromptEncoder;

  private constructor(
    readonly model: LoadedModel,
    private readonly run: RunConfig,
    private readonly m: ModelRunConfig,
  ) {
    this.prompts = new PromptEncoder(model.tokenizer, m.chatTemplate ?? "off", m.dir);
    if (m.klCoef > 0) this.reference = loadModel(m.dir, { device: m.device, deterministic: m.deterministic, scoreTemperature: m.temperature || 1 });
    const decay = taskOf(run).backend?.(run).emaDecay;
    if (decay !== undefined) this.ema = { decay, params: model.parameters() };
  }

  static load(run: RunConfig): ModelBackend {
    const m = run.model;
    const model = loadModel(m.dir, {
      device: m.device,
      deterministic: m.deterministic,
      ...(m.lora ? { lora: { rank: m.lora.rank, alpha: m.lora.alpha, ...(m.lora.targets ? { targets: m.lora.targets as LoraTarget[] } : {}) } } : {}),
      seed: run.seed,
      trainTemperature: m.temperature,
    });
    return new ModelBackend(model, run, m);
  }

  private promptIds(text: string): number[] {
    return this.prompts.encode(text);
  }

  async sample(req: SampleRequest, _requestId: string): Promise<SampleResponse["results"]> {
    const m = this.m;
    const maxNewTokens = req.role === "generator" ? m.maxNewTokens.generator : m.maxNewTokens.predictor;
    const requests: GenerateRequest[] = [];
    const task = taskOf(this.run);
    // Stop strings, and the braced answer that ends a reasoning completion (the paper template).
    const stops = completionStops(this.run, req.role);
    for (const p of req.prompts) {
      const prompt = this.promptIds(p.text);
      const accept = task.decodingConstraint?.(this.run, req.role, p.text);
      for (let i = 0; i < req.n; i++) {
        requests.push({
          prompt,
          maxNewTokens,
          temperature: m.temperature,
          topP: m.topP,
          topK: m.topK,
          ...stops,
          rng: { seed: this.run.seed, step: req.step, role: req.role, item: p.key, sample: i },
          ...(accept ? { accept } : {}),
        });
      }
    }
    const out = await this.model.generate(requests);
    const results: SampleResponse["results"] = [];
    // Entropy and truncation travel beside the results, never inside them (the wire stays as it was).
    let stats = emptySampling();
    req.prompts.forEach((p, j) => {
      const completions: Completion[] = [];
      for (let i = 0; i < req.n; i++) {
        const g = out[j * req.n + i]!;
        this.sampledTokens += g.tokens.length;
        stats = addSampling(stats, completionSampling(g));
        completions.push({ text: g.text, tokens: g.tokens, logprobs: g.logprobs });
      }
      results.push({ key: p.key, completions });
    });
    return withSampling(results, stats);
  }

  async entropies(passages: readonly SamplePrompt[], _step: number): Promise<EntropyResponse["results"]> {
    const tok = this.model.tokenizer;
    const rows = passages.map((p) => {
      const ws = p.text.split(/\s+/).filter(Boolean);
      // Token index of each word's first token: the length of the encoded prefix before it.
      const starts = ws.map((_, i) => (i === 0 ? 0 : tok.encode(ws.slice(0, i).join(" ")).length));
      return { key: p.key, ids: tok.encode(ws.join(" ")), starts };
    });
    const scored = await this.model.logprobs(rows.map((r) => r.ids), { entropy: true });
    return rows.map((r, j) => {
      const h = scored[j]!.entropy!;
      // entropy[t] is the distribution predicting token t+1.
      return { key: r.key, entropies: r.starts.map((t, i) => (i === 0 || t < 1 || t - 1 >= h.length ? 0 : h[t - 1]!)) };
    });
  }

  /** Summed log-probability of each item's target tokens after its context's, under the policy or its EMA. */
  async logprobs(req: LogprobRequest): Promise<LogprobResponse["results"]> {
    const tok = this.model.tokenizer;
    const rows = req.items.map((it) => {
      const context = tok.encode(it.context);
      // The target's tokens alone: no BOS between the context and the target.
      return { key: it.key, ids: [...context, ...tok.encode(it.target, { addSpecialTokens: false })], from: context.length };
    });
    const score = () => this.model.logprobs(rows.map((r) => r.ids));
    if (req.weights === "ema" && !this.ema) throw new Error(`model backend: task ${this.run.task} keeps no moving average of the weights to score with`);
    const scored = req.weights === "ema" ? await this.model.withParameters(this.ema!.params, score) : await score();
    return rows.map((r, j) => {
      // logprobs[t] is log p(ids[t+1] | ids[..t]).
      const lp = scored[j]!.logprobs;
      let sum = 0;
      for (let t = Math.max(r.from, 1) - 1; t < r.ids.length - 1; t++) sum += lp[t]!;
      return { key: r.key, logprob: sum, tokens: r.ids.length - r.from };
    });
  }

  /** ema <- decay * ema + (1 - decay) * params, after every update (RLP's slowly moving baseline, arXiv 2510.01265 §3). */
  private updateEma(): void {
    if (!this.ema) return;
    const { decay, params: e } = this.ema;
    const p = this.model.parameters();
    e.forEach((eg, j) => {
      const pg = p[j]!;
      for (let i = 0; i < eg.length; i++) eg[i] = decay * eg[i]! + (1 - decay) * pg[i]!;
    });
  }

  async train(batch: GrpoBatch): Promise<TrainResult> {
    const seqs: TrainSequence[] = [];
    for (const g of batch.groups) {
      const prompt = this.promptIds(g.prompt);
      g.completions.forEach((c, i) => {
        if (!c.tokens || !c.logprobs) throw new Error(`model backend: completion ${i} of ${g.key} has no tokens or log-probs (was it sampled by this backend?)`);
        if (c.tokens.length === 0) return;
        seqs.push({ ids: [...prompt, ...c.tokens], completionStart: prompt.length, advantage: g.advantages[i]!, behaviourLogprobs: c.logprobs });
      });
    }
    if (seqs.length === 0) return { loss: 0, gradNorm: 0, clipFrac: 0 };
    if (this.reference) {
      // Reference log-probs of the completion tokens under the initial model, at the sampling temperature.
      const scored = await this.reference.logprobs(seqs.map((q) => q.ids));
      seqs.forEach((q, k) => {
        (q as { referenceLogprobs?: ArrayLike<number> }).referenceLogprobs = scored[k]!.logprobs.subarray(q.completionStart - 1);
      });
    }
    const schedule: LrSchedule = { kind: this.m.schedule, lr: this.m.lr, warmup: this.m.warmup, total: this.run.steps, minRatio: this.m.minLrRatio };
    const lr = learningRate(this.updates, schedule);
    let loss = 0;
    let gradNorm = 0;
    let clipped = 0;
    let tokens = 0;
    let kl = 0;
    // Minibatches in a fixed order (the batch is canonically ordered): one optimizer step each.
    for (let i = 0; i < seqs.length; i += this.m.microBatch) {
      const r = await this.model.trainStep(seqs.slice(i, i + this.m.microBatch), { lr, epsLow: this.run.grpo.epsLow, epsHigh: this.run.grpo.epsHigh, klCoef: this.m.klCoef });
      loss += r.loss * r.tokens;
      kl += r.kl * r.tokens;
      clipped += r.clipFrac * r.tokens;
      tokens += r.tokens;
      gradNorm = Math.max(gradNorm, r.gradNorm);
      this.updateEma();
    }
    this.updates++;
    return {
      loss: tokens ? loss / tokens : 0,
      gradNorm,
      clipFrac: tokens ? clipped / tokens : 0,
      ...(this.reference ? { kl: tokens ? kl / tokens : 0 } : {}),
    };
  }

  /**
   * The model's tensors (views of its buffers, which a step replaces and never writes into) and,
   * for tasks that keep one, a copy of the moving average (updated in place) as ema.safetensors.
   */
  snapshot(): TensorState {
    const model = this.model.snapshot();
    const meta = encodeValue({ updates: this.updates, model: model.meta, ema: this.ema ? this.ema.params.map((p) => p.length) : null });
    if (!this.ema) return { meta, files: model.files };
    const copy = this.ema.params.map((p) => p.slice());
    // The moving average has the parameters' names and layout: name it after params.safetensors.
    const names = model.files["params.safetensors"]!;
    let g = 0;
    let at = 0;
    const ema = names.map((t) => {
      if (at + t.data.length > copy[g]!.length) {
        g++;
        at = 0;
      }
      const data = copy[g]!.subarray(at, at + t.data.length);
      at += t.data.length;
      return { name: t.name, shape: t.shape, data };
    });
    return { meta, files: { ...model.files, "ema.safetensors": ema } };
  }

  restore(state: ActorState): void {
    if (!isTensorState(state)) return this.restoreSingleBuffer(state);
    const s = decodeValue(state.meta) as { updates: number; model: Uint8Array; ema: number[] | null };
    this.updates = s.updates;
    const { "ema.safetensors": ema, ...files } = state.files;
    this.model.restore({ meta: s.model, files });
    if (this.ema) {
      const sizes = this.ema.params.map((p) => p.length);
      if (!ema || !s.ema || s.ema.join() !== sizes.join()) throw new Error("model backend: the snapshot holds no moving average of the weights for this task");
      // Copied into fresh groups: the average is updated in place, the state may be shared.
      const out = this.ema.params.map((p) => new (p.constructor as Float32ArrayConstructor)(p.length) as Float32Array | Float64Array);
      let g = 0;
      let at = 0;
      for (const t of ema) {
        if (at + t.data.length > out[g]!.length) {
          g++;
          at = 0;
        }
        out[g]!.set(t.data, at);
        at += t.data.length;
      }
      this.ema.params = out;
    }
  }

  /** A state from before safetensors checkpoints: one msgpack value holding the model's single buffer. */
  private restoreSingleBuffer(state: Uint8Array): void {
    const s = decodeValue(state) as { updates: number; model: Uint8Array; ema?: Float32Array | Float64Array };
    this.updates = s.updates;
    this.model.restore(s.model);
    if (this.ema) {
      if (!s.ema || this.ema.params.length !== 1 || s.ema.length !== this.ema.params[0]!.length) throw new Error("model backend: the snapshot holds no moving average of the weights for this task");
      this.ema.params = [s.ema];
    }
  }

  digest(): string {
    return this.model.digest().slice(0, 16);
  }
}
