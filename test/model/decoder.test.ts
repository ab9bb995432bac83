import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { frozenBinding, randomWeights, xorshift } from "../../src/model/decoder.ts";
import { type DecoderConfig, parseDecoderConfig } from "../../src/model/hf-config.ts";
import { LogprobScorer } from "../../src/model/logprobs.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

/**
 * Straightforward float64 reference of the HF forward for one sequence: repeat_kv, full
 * rotate_half with cos/sin of length head_dim, explicit masked softmax. Returns the logits [T][V].
 */
function referenceLogits(cfg: DecoderConfig, w: Map<string, Float32Array>, ids: number[], positions = ids.map((_, i) => i)): Float64Array[] {
  const T = ids.length;
  const d = cfg.hiddenSize;
  const dh = cfg.headDim;
  const H = cfg.numHeads;
  const Hkv = cfg.numKvHeads;
  const W = (n: string) => {
    const v = w.get(n);
    if (!v) throw new Error(`missing ${n}`);
    return v;
  };
  const lin = (x: Float64Array, name: string, out: number, inF: number, bias?: string) => {
    const m = W(name);
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let acc = 0;
      for (let i = 0; i < inF; i++) acc += m[o * inF + i] * x[i];
      y[o] = acc + (bias ? W(bias)[o] : 0);
    }
    return y;
  };
  const rms = (x: Float64Array, name: string, off = 0, n = x.length) => {
    const g = W(name);
    let ms = 0;
    for (let i = 0; i < n; i++) ms += x[off + i] ** 2;
    const r = 1 / Math.sqrt(ms / n + cfg.rmsNormEps);
    for (let i = 0; i < n; i++) x[off + i] = x[off + i] * r * g[i];
    return x;
  };
  const rope = (x: Float64Array, heads: number, pos: number) => {
    for (let h = 0; h < heads; h++) {
      const o = h * dh;
      const rot = new Float64Array(dh);
      for (let i = 0; i < dh / 2; i++) {
        rot[i] = -x[o + i + dh / 2];
        rot[i + dh / 2] = x[o + i];
      }
      for (let i = 0; i < dh; i++) {
        const f = 1 / Math.pow(cfg.ropeTheta, (2 * (i % (dh / 2))) / dh);
        x[o + i] = x[o + i] * Math.cos(pos * f) + rot[i] * Math.sin(pos * f);
      }
    }
  };
  const emb = W("model.embed_tokens.weight");
  let hs: Float64Array[] = ids.map((id) => Float64Array.from(emb.subarray(id * d, (id + 1) * d)));
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const a = rms(Float64Array.from(hs[t]), `${p}.input_layernorm.weight`);
      const bias = (m: string) => (cfg.qkvBias ? `${p}.self_attn.${m}.bias` : undefined);
      const q = lin(a, `${p}.self_attn.q_proj.weight`, H * dh, d, bias("q_proj"));
      const k = lin(a, `${p}.self_attn.k_proj.weight`, Hkv * dh, d, bias("k_proj"));
      const v = lin(a, `${p}.self_attn.v_proj.weight`, Hkv * dh, d, bias("v_proj"));
      if (cfg.qkNorm) {
        for (let h = 0; h < H; h++) rms(q, `${p}.self_attn.q_norm.weight`, h * dh, dh);
        for (let h = 0; h < Hkv; h++) rms(k, `${p}.self_attn.k_norm.weight`, h * dh, dh);
      }
      rope(q, H, positions[t]);
      rope(k, Hkv, positions[t]);
      qs.push(q);
      ks.push(k);
      vs.push(v);
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const ctx = new Float64Array(H * dh);
      for (let h = 0; h < H; h++) {
        const kvh = Math.floor(h / (H / Hkv));
        const sc = new Float64Array(t + 1);
        let mx = -Infinity;
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let i = 0; i < dh; i++) s += qs[t][h * dh + i] * ks[j][kvh * dh + i];
          sc[j] = s / Math.sqrt(dh);
          mx = Math.max(mx, sc[j]);
        }
        let den = 0;
        for (let j = 0; j <= t; j++) den += (sc[j] = Math.exp(sc[j] - mx));
        for (let j = 0; j <= t; j++) for (let i = 0; i < dh; i++) ctx[h * dh + i] += (sc[j] / den) * vs[j][kvh * dh + i];
      }
      const o = lin(ctx, `${p}.self_attn.o_proj.weight`, d, H * dh, cfg.oBias ? `${p}.self_attn.o_proj.bias` : undefined);
      const h1 = hs[t].map((x, i) => x + o[i]);
      const m = rms(Float64Array.from(h1), `${p}.post_attention_layernorm.weight`);
      const gate = lin(m, `${p}.mlp.gate_proj.weight`, cfg.intermediateSize, d);
      const up = lin(m, `${p}.mlp.up_proj.weight`, cfg.intermediateSize, d);
      const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]);
      const down = lin(act, `${p}.mlp.down_proj.weight`, d, cfg.intermediateSize);
      next.push(h1.map((x, i) => x + down[i]));
    }
    hs = next;
  }
  const head = cfg.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  return hs.map((h) => lin(rms(Float64Array.from(h), "model.norm.weight"), head, cfg.vocabSize, d));
}

function logSoftmax64(x: Float64Array): Float64Array {
  let mx = -Infinity;
  for (const v of x) mx = Math.max(mx, v);
  let s = 0;
  for (const v of x) s += Math.exp(v - mx);
  const lse = mx + Math.log(s);
  return x.map((v) => v - lse);
}

const tinyQwen3 = parseDecoderConfig({
  model_type: "qwen3", hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, head_dim: 16, rms_norm_eps: 1e-6, rope_theta: 10000, vocab_size: 61, tie_word_embeddings: true,
});
const tinyLlama = parseDecoderConfig({
  model_type: "llama", hidden_size: 24, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 6,
  num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 500000, vocab_size: 53, tie_word_embeddings: false, attention_bias: true,
});

describe("decoder forward against a float64 JS reference", () => {
  for (const [name, cfg] of [["qwen3 (tied, qk-norm, GQA)", tinyQwen3], ["llama (untied, bias, GQA)", tinyLlama]] as const) {
    test(`${name}: batched right-padded log-probs match within 1e-4`, async () => {
      const w = randomWeights(cfg, 5);
      const u = xorshift(9);
      const seqs = [11, 5, 17].map((n) => Array.from({ length: n }, () => Math.floor(u() * cfg.vocabSize)));
      const scorer = new LogprobScorer(cfg, frozenBinding(cfg, w, "initializer"), { deterministic: true });
      const res = await scorer.score(seqs, { lastLogp: true });
      let maxErr = 0;
      seqs.forEach((s, b) => {
        const ref = referenceLogits(cfg, w, s).map(logSoftmax64);
        expect(res[b].logprobs.length).toBe(s.length - 1);
        for (let t = 0; t + 1 < s.length; t++) maxErr = Math.max(maxErr, Math.abs(res[b].logprobs[t] - ref[t][s[t + 1]]));
        const last = ref[s.length - 1];
        for (let v = 0; v < cfg.vocabSize; v++) maxErr = Math.max(maxErr, Math.abs(res[b].lastLogp![v] - last[v]));
      });
      console.log(`${name}: max abs err ${maxErr.toExponential(2)}`);
      expect(maxErr).toBeLessThan(1e-4);
      await scorer.release();
    });
  }

  test("weights fed as inputs give the same log-probs as initializers", async () => {
    const cfg = tinyLlama;
    const w = randomWeights(cfg, 6);
    const seqs = [[1, 2, 3, 4, 5], [7, 8, 9]];
    const a = new LogprobScorer(cfg, frozenBinding(cfg, w, "initializer"), { deterministic: true });
    const b = new LogprobScorer(cfg, frozenBinding(cfg, w, "input"), { deterministic: true });
    const [ra, rb] = [await a.score(seqs), await b.score(seqs)];
    for (let i = 0; i < seqs.length; i++) for (let t = 0; t < ra[i].logprobs.length; t++) expect(Math.abs(ra[i].logprobs[t] - rb[i].logprobs[t])).toBeLessThan(1e-6);
    await a.release();
    await b.release();
  });
});
