import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Graph } from "../../src/engine/graph.ts";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";
import { TRAIN_IO, lossAndGrad } from "../../src/engine/train-step.ts";
import { frozenBinding, randomWeights, xorshift } from "../../src/model/decoder.ts";
import { parseDecoderConfig } from "../../src/model/hf-config.ts";
import { LogprobScorer } from "../../src/model/logprobs.ts";
import { LmTrainer, type TrainMode, type TrainSequence, grpoLossBuilder } from "../../src/model/lm-trainer.ts";
import { grpoObjectiveJs } from "../../src/rl/objective-js.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const cfg = parseDecoderConfig({
  model_type: "qwen3", hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, head_dim: 8, rope_theta: 10000, vocab_size: 29, tie_word_embeddings: true,
});
const base = randomWeights(cfg, 31, 0.3);
const lora: TrainMode = { kind: "lora", rank: 2, alpha: 4 };

/** Three sequences with completions; behaviour log-probs = current ones shifted by `shifts`. */
// ORT's QuickGelu fusion (optimization "all") has no float64 kernel: float64 graphs run at "basic".
const f64Session = { deterministic: true, optimization: "basic" } as const;

async function makeBatch(trainer: LmTrainer, shifts: number[]): Promise<TrainSequence[]> {
  const u = xorshift(77);
  const lens = [9, 6, 12];
  const starts = [4, 2, 7];
  const seqs = lens.map((n) => Array.from({ length: n }, () => Math.floor(u() * cfg.vocabSize)));
  const scorer = new LogprobScorer(cfg, trainer.binding(), trainer.dtype === "float64" ? f64Session : { deterministic: true });
  const lp = await scorer.score(seqs);
  await scorer.release();
  let k = 0;
  return seqs.map((ids, i) => {
    const beh = Array.from(lp[i].logprobs.slice(starts[i] - 1), (x) => x + shifts[k++ % shifts.length]);
    return { ids, completionStart: starts[i], advantage: i === 1 ? -0.7 : 1.1 - 0.3 * i, behaviourLogprobs: beh };
  });
}

describe("GRPO train step", () => {
  for (const mode of [lora, { kind: "full" } as TrainMode]) {
    test(`${mode.kind}: gradients match central differences on sampled parameters (float64), with clipped and unclipped tokens`, async () => {
      const trainer = new LmTrainer(cfg, base, mode, { dtype: "float64", session: f64Session, seed: 3 });
      // Non-zero B so both LoRA factors get gradients.
      const u = xorshift(5);
      for (let i = 0; i < trainer.params.length; i++) if (mode.kind === "lora") trainer.params[i] += (u() - 0.5) * 0.2;
      const seqs = await makeBatch(trainer, [0.05, -0.6, -0.04, 0.7, 0.0]);
      const [B, T] = trainer.bucketOf(seqs);
      const g = new Graph("fd");
      const builder = grpoLossBuilder(cfg, (gg, p) => trainer.weightsFor(gg, p), { batch: B, length: T });
      const { loss, grad } = lossAndGrad(g, trainer.layout, builder, "float64");
      g.output(loss, "L");
      g.output(grad, "G");
      const session = await EngineSession.create(g, f64Session);
      const feeds = trainer.batchFeeds(seqs, B, T, { epsLow: 0.2, epsHigh: 0.28 });
      const run = async (p: Float64Array) => session.run({ ...feeds, [TRAIN_IO.params]: hostTensor("float64", [p.length], p) });
      const p0 = Float64Array.from(trainer.params);
      const out = await run(p0);
      const clip = Number(out.clip_frac.data[0]);
      expect(clip).toBeGreaterThan(0);
      expect(clip).toBeLessThan(1);
      const analytic = out.G.data as Float64Array;
      const h = 1e-6;
      let worst = 0;
      let checked = 0;
      let nonzero = 0;
      const pick = xorshift(9);
      for (let s = 0; s < 40; s++) {
        const i = Math.floor(pick() * p0.length);
        const at = async (d: number) => {
          const p = Float64Array.from(p0);
          p[i] += d;
          return Number((await run(p)).L.data[0]);
        };
        const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - analytic[i]) / (1e-3 + Math.abs(numeric)));
        if (Math.abs(analytic[i]) > 1e-8) nonzero++;
        checked++;
      }
      console.log(`${mode.kind}: ${checked} coordinates, ${nonzero} non-zero, worst relative error ${worst.toExponential(2)}, clip fraction ${clip.toFixed(2)}`);
      expect(nonzero).toBeGreaterThan(10);
      expect(worst).toBeLessThan(1e-4);
      await session.release();
      await trainer.release();
    });
  }

  test("the reported loss, clip fraction, tokens and KL equal the JS objective on the same log-probs", async () => {
    const trainer = new LmTrainer(cfg, base, lora, { session: { deterministic: true }, seed: 6 });
    for (let i = 0; i < trainer.params.length; i++) trainer.params[i] += 0.05 * Math.sin(i);
    const shifts = [0.05, -0.6, -0.04, 0.7, 0.0];
    const seqs = (await makeBatch(trainer, shifts)).map((s, i) => ({ ...s, referenceLogprobs: Array.from(s.behaviourLogprobs, (b, k) => b + 0.1 * Math.cos(i + k)) }));
    const scorer = new LogprobScorer(cfg, trainer.binding(), { deterministic: true });
    const lp = await scorer.score(seqs.map((s) => s.ids));
    await scorer.release();
    // The completion tokens of every sequence, one after the other.
    const cat = (f: (s: (typeof seqs)[number], i: number) => ArrayLike<number>) => seqs.flatMap((s, i) => Array.from(f(s, i)));
    const ref = grpoObjectiveJs(
      {
        logprobs: cat((s, i) => lp[i].logprobs.subarray(s.completionStart - 1)),
        behaviour: cat((s) => s.behaviourLogprobs),
        advantages: cat((s) => Array(s.behaviourLogprobs.length).fill(s.advantage)),
        lossMask: cat((s) => Array(s.behaviourLogprobs.length).fill(1)),
        reference: cat((s) => s.referenceLogprobs),
      },
      { epsLow: 0.2, epsHigh: 0.28, klCoef: 0.3 },
    );
    const r = await trainer.step(seqs, { lr: 0, epsLow: 0.2, epsHigh: 0.28, klCoef: 0.3 });
    expect(Math.abs(r.loss - ref.loss)).toBeLessThan(1e-5);
    expect(Math.abs(r.clipFrac - ref.clipFrac)).toBeLessThan(1e-6);
    expect(Math.abs(r.kl - ref.kl)).toBeLessThan(1e-5);
    expect(ref.kl).toBeGreaterThan(1e-4);
    expect(r.tokens).toBe(seqs.reduce((a, s) => a + s.ids.length - s.completionStart, 0));
    await trainer.release();
  });

  test("LoRA: the loss on a fixed batch falls at every step; the flat buffer holds only the adapters", async () => {
    const trainer = new LmTrainer(cfg, base, lora, { session: { deterministic: true }, seed: 4 });
    const seqs = await makeBatch(trainer, [0]);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push((await trainer.step(seqs, { lr: 3e-3, epsLow: 0.2, epsHigh: 5 })).loss);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    const h = cfg.hiddenSize, q = cfg.numHeads * cfg.headDim, kv = cfg.numKvHeads * cfg.headDim, f = cfg.intermediateSize;
    const perLayer = (h + q) + 2 * (h + kv) + (q + h) + 2 * (h + f) + (f + h);
    expect(trainer.layout.total).toBe(cfg.numLayers * 2 * perLayer);
    await trainer.release();
  });

  test("full fine-tuning: the loss on a fixed batch falls", async () => {
    const trainer = new LmTrainer(cfg, base, { kind: "full" }, { session: { deterministic: true } });
    const seqs = await makeBatch(trainer, [0]);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push((await trainer.step(seqs, { lr: 1e-3, epsLow: 0.2, epsHigh: 5 })).loss);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    await trainer.release();
  });
});

describe("LoRA adapters", () => {
  test("fresh adapters (B = 0) leave the base model's log-probs unchanged", async () => {
    const trainer = new LmTrainer(cfg, base, lora, { session: { deterministic: true } });
    const seq = [[1, 2, 3, 4, 5, 6, 7]];
    const a = new LogprobScorer(cfg, trainer.binding(), { deterministic: true });
    const b = new LogprobScorer(cfg, frozenBinding(cfg, base, "initializer"), { deterministic: true });
    const [ra] = await a.score(seq);
    const [rb] = await b.score(seq);
    for (let t = 0; t < ra.logprobs.length; t++) expect(Math.abs(ra.logprobs[t] - rb.logprobs[t])).toBeLessThan(1e-6);
    await a.release();
    await b.release();
  });

  test("saved adapters (PEFT names + adapter_config.json) load back into an equal model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lora-"));
    try {
      const trainer = new LmTrainer(cfg, base, lora, { session: { deterministic: true }, seed: 8 });
      const seqs = await makeBatch(trainer, [0]);
      await trainer.step(seqs, { lr: 1e-2, epsLow: 0.2, epsHigh: 0.28 });
      trainer.saveAdapters(dir, "tiny");
      const conf = JSON.parse(readFileSync(join(dir, "adapter_config.json"), "utf8"));
      expect(conf).toMatchObject({ peft_type: "LORA", r: 2, lora_alpha: 4 });
      const header = readFileSync(join(dir, "adapter_model.safetensors")).subarray(8, 4000).toString();
      expect(header).toContain("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
      const other = new LmTrainer(cfg, base, lora, { session: { deterministic: true }, seed: 99 });
      other.loadAdapters(dir);
      expect(Array.from(other.params)).toEqual(Array.from(trainer.params));
      const wrong = new LmTrainer(cfg, base, { kind: "lora", rank: 3, alpha: 4 });
      expect(() => wrong.loadAdapters(dir)).toThrow(/r=2/);
      await trainer.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
