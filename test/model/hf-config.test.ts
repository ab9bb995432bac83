import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadDecoderConfig, ModelError, parseDecoderConfig, ropeInvFreq } from "../../src/model/hf-config.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const FIX = join(import.meta.dir, "../../fixtures");

/** The shape of Qwen3-0.6B-Base's config.json (head_dim 128 ≠ hidden/heads). */
const qwen3_06b = {
  architectures: ["Qwen3ForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  head_dim: 128,
  hidden_act: "silu",
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 32768,
  max_window_layers: 28,
  model_type: "qwen3",
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.51.0",
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

function refusal(raw: unknown): string {
  try {
    parseDecoderConfig(raw, "config.json");
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).exitCode).toBe(2);
    const msg = (e as Error).message;
    expect(msg).not.toContain("\n");
    return msg;
  }
  throw new Error("expected a refusal");
}

describe("parseDecoderConfig", () => {
  test("normalizes a real Qwen3 config, keeping an explicit head_dim", () => {
    const c = parseDecoderConfig(qwen3_06b);
    expect(c).toMatchObject({
      arch: "qwen3",
      modelType: "qwen3",
      hiddenSize: 1024,
      numLayers: 28,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      qkNorm: true,
      tieWordEmbeddings: true,
      qkvBias: false,
      oBias: false,
      ropeTheta: 1000000,
      ropeScaling: null,
      torchDtype: "bfloat16",
      bosTokenId: 151643,
      eosTokenIds: [151643],
      padTokenId: null,
      slidingWindow: null,
    });
  });

  test("defaults num_key_value_heads to the head count and head_dim to hidden/heads", () => {
    const c = parseDecoderConfig({ model_type: "llama", hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 });
    expect(c.numKvHeads).toBe(4);
    expect(c.headDim).toBe(16);
    expect(c.tieWordEmbeddings).toBe(false);
    expect(c.rmsNormEps).toBe(1e-6);
    expect(c.ropeTheta).toBe(10000);
    expect(c.torchDtype).toBe("float32");
    expect(c.eosTokenIds).toEqual([]);
  });

  test("maps attention_bias to q/k/v/o bias for llama, q/k/v only for qwen2, none for mistral", () => {
    const base = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4, vocab_size: 100 };
    expect(parseDecoderConfig({ ...base, model_type: "llama", attention_bias: true })).toMatchObject({ arch: "llama", qkvBias: true, oBias: true });
    expect(parseDecoderConfig({ ...base, model_type: "qwen2" })).toMatchObject({ arch: "llama", qkvBias: true, oBias: false, qkNorm: false });
    expect(parseDecoderConfig({ ...base, model_type: "mistral", sliding_window: 4096 })).toMatchObject({ arch: "llama", qkvBias: false, oBias: false, slidingWindow: 4096 });
  });

  test("accepts a list of eos ids and transformers v5's dtype / rope_parameters fields", () => {
    const { torch_dtype: _, rope_theta: __, ...rest } = qwen3_06b;
    const c = parseDecoderConfig({ ...rest, dtype: "float16", eos_token_id: [151643, 151645], rope_parameters: { rope_type: "default", rope_theta: 5e5 } });
    expect(c.torchDtype).toBe("float16");
    expect(c.eosTokenIds).toEqual([151643, 151645]);
    expect(c.ropeTheta).toBe(5e5);
    expect(c.ropeScaling).toBeNull();
  });

  test("reads both fixture configs", () => {
    const q = loadDecoderConfig(join(FIX, "tiny-qwen3"));
    expect(q).toMatchObject({ arch: "qwen3", hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, tieWordEmbeddings: true, torchDtype: "float32" });
    const l = loadDecoderConfig(join(FIX, "tiny-llama"));
    expect(l).toMatchObject({ arch: "llama", qkNorm: false, numKvHeads: 1, tieWordEmbeddings: false, torchDtype: "bfloat16", qkvBias: false });
  });

  test.each([
    [{ model_type: "gpt2" }, /model_type is "gpt2"; accepted: "llama", "mistral", "qwen2", "qwen3"/],
    [{ model_type: "qwen3_moe" }, /model_type is "qwen3_moe"/],
    [{ hidden_act: "gelu" }, /hidden_act is "gelu"; accepted: "silu"/],
    [{ rope_scaling: { rope_type: "yarn", factor: 4 } }, /rope_scaling is \{"rope_type":"yarn","factor":4\}; accepted: null, or rope_type "default", "linear"/],
    [{ rope_scaling: { type: "dynamic", factor: 2 } }, /rope_scaling is .*dynamic/],
    [{ num_key_value_heads: 3 }, /num_key_value_heads is 3; accepted: a divisor of num_attention_heads \(16\)/],
    [{ hidden_size: 0 }, /hidden_size is 0; accepted: a positive integer/],
    [{ hidden_size: undefined }, /hidden_size is missing; accepted: a positive integer/],
    [{ intermediate_size: 1.5 }, /intermediate_size is 1.5/],
    [{ vocab_size: "big" }, /vocab_size is "big"/],
    [{ use_sliding_window: true }, /use_sliding_window is true; accepted: false/],
    [{ mlp_bias: true }, /mlp_bias is true; accepted: false/],
    [{ torch_dtype: "float8_e4m3fn" }, /torch_dtype is "float8_e4m3fn"; accepted: "float32", "float16", "bfloat16"/],
    [{ quantization_config: { quant_method: "gptq" } }, /quantization_config is .*gptq.*; accepted: absent/],
    [{ head_dim: 7 }, /head_dim is 7; accepted: an even number/],
    [{ eos_token_id: 200000 }, /eos_token_id is 200000; accepted: ids below vocab_size \(151936\)/],
    [{ tie_word_embeddings: "yes" }, /tie_word_embeddings is "yes"; accepted: true or false/],
    [{ partial_rotary_factor: 0.5 }, /partial_rotary_factor is 0.5; accepted: 1/],
  ])("refuses %j with one line naming the field, value and what is accepted", (edit, pattern) => {
    expect(refusal({ ...qwen3_06b, ...edit })).toMatch(pattern);
  });

  test("refuses a llama config whose hidden size does not split into heads when head_dim is absent", () => {
    expect(refusal({ model_type: "llama", hidden_size: 65, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 4, vocab_size: 10 })).toMatch(
      /hidden_size is 65; accepted: a multiple of num_attention_heads \(4\)/,
    );
  });

  test("refuses a non-object and names a missing config.json", () => {
    expect(refusal([1, 2])).toMatch(/expected a JSON object/);
    expect(() => loadDecoderConfig("/nonexistent-model-dir")).toThrow(/config.json: not found/);
  });
});

describe("ropeInvFreq", () => {
  test("plain RoPE is theta^(-2i/d)", () => {
    const c = loadDecoderConfig(join(FIX, "tiny-qwen3"));
    const inv = ropeInvFreq(c);
    expect(inv.length).toBe(8);
    expect(inv[0]).toBe(1);
    expect(inv[3]).toBeCloseTo(1e6 ** (-6 / 16), 15);
  });

  test("linear scaling divides every frequency by the factor", () => {
    const c = parseDecoderConfig({ ...qwen3_06b, rope_scaling: { rope_type: "linear", factor: 4 } });
    const plain = ropeInvFreq(parseDecoderConfig(qwen3_06b));
    const inv = ropeInvFreq(c);
    for (let i = 0; i < inv.length; i++) expect(inv[i]).toBeCloseTo(plain[i] / 4, 15);
  });

  test("llama3 scaling matches the torch reference's inverse frequencies", () => {
    const exp = JSON.parse(readFileSync(join(FIX, "tiny-llama/expected.json"), "utf8")).rope_llama3;
    const c = parseDecoderConfig({
      model_type: "llama",
      hidden_size: 2048,
      intermediate_size: 8192,
      num_hidden_layers: 16,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: exp.head_dim,
      vocab_size: 128256,
      rope_theta: exp.rope_theta,
      rope_scaling: exp.rope_scaling,
    });
    expect(c.ropeScaling).toEqual({ type: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    const inv = ropeInvFreq(c);
    expect(inv.length).toBe(exp.inv_freq.length);
    let maxRel = 0;
    for (let i = 0; i < inv.length; i++) maxRel = Math.max(maxRel, Math.abs(inv[i] - exp.inv_freq[i]) / exp.inv_freq[i]);
    expect(maxRel).toBeLessThan(1e-12);
    // The three bands are all present, so the test exercises each branch.
    const plain = ropeInvFreq({ ...c, ropeScaling: null });
    const ratios = new Set(Array.from(inv, (v, i) => (Math.abs(v - plain[i]) < 1e-18 ? "kept" : Math.abs(v - plain[i] / 32) < 1e-18 ? "scaled" : "blended")));
    expect(ratios).toEqual(new Set(["kept", "scaled", "blended"]));
  });
});
