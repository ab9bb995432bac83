/**
 * Reference models built only from the graph builder: the proofs that the engine trains (MLP,
 * attention block) and the decoder-shaped stack the bench times. Not the product's LM (src/model).
 */
import type { Graph, Tensor } from "./graph.ts";
import {
  add,
  causalMask,
  crossEntropy,
  gather,
  matmul,
  mul,
  reduceMean,
  relu,
  reshape,
  rmsNorm,
  silu,
  softmax,
  sub,
  transpose,
} from "./ops/index.ts";
import type { ParamSpec } from "./params.ts";
import type { LossBuilder } from "./train-step.ts";

export interface MlpConfig {
  readonly inputs: number;
  readonly hidden: number;
  readonly outputs: number;
  readonly batch: number;
}

export function mlpParams(c: MlpConfig): ParamSpec[] {
  return [
    { name: "w1", shape: [c.inputs, c.hidden], init: { std: 1 / Math.sqrt(c.inputs) } },
    { name: "b1", shape: [c.hidden], decay: false, init: { fill: 0 } },
    { name: "w2", shape: [c.hidden, c.outputs], init: { std: 1 / Math.sqrt(c.hidden) } },
    { name: "b2", shape: [c.outputs], decay: false, init: { fill: 0 } },
  ];
}

/** Mean squared error of a 2-layer ReLU MLP on inputs "x" [batch, inputs] and targets "y". */
export function mlpLoss(c: MlpConfig): LossBuilder {
  return (g, p) => {
    const x = g.input("x", p.w1.dtype, [c.batch, c.inputs]);
    const y = g.input("y", p.w1.dtype, [c.batch, c.outputs]);
    const h = relu(add(matmul(x, p.w1), p.b1));
    const d = sub(add(matmul(h, p.w2), p.b2), y);
    return reduceMean(mul(d, d), [0, 1]);
  };
}

export interface DecoderConfig {
  readonly vocab: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  /** Hidden size of the SwiGLU MLP. */
  readonly ffn: number;
  readonly batch: number;
  readonly seq: number;
}

export function decoderParams(c: DecoderConfig): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: "embed", shape: [c.vocab, c.dim], init: { std: 0.02 } }];
  const std = 0.02;
  const outStd = 0.02 / Math.sqrt(2 * c.layers);
  for (let l = 0; l < c.layers; l++) {
    specs.push(
      { name: `l${l}.attn_norm`, shape: [c.dim], decay: false, init: { fill: 1 } },
      { name: `l${l}.wq`, shape: [c.dim, c.dim], init: { std } },
      { name: `l${l}.wk`, shape: [c.dim, c.dim], init: { std } },
      { name: `l${l}.wv`, shape: [c.dim, c.dim], init: { std } },
      { name: `l${l}.wo`, shape: [c.dim, c.dim], init: { std: outStd } },
      { name: `l${l}.mlp_norm`, shape: [c.dim], decay: false, init: { fill: 1 } },
      { name: `l${l}.w_gate`, shape: [c.dim, c.ffn], init: { std } },
      { name: `l${l}.w_up`, shape: [c.dim, c.ffn], init: { std } },
      { name: `l${l}.w_down`, shape: [c.ffn, c.dim], init: { std: outStd } },
    );
  }
  specs.push({ name: "final_norm", shape: [c.dim], decay: false, init: { fill: 1 } }, { name: "lm_head", shape: [c.dim, c.vocab], init: { std } });
  return specs;
}

/** Causal multi-head self-attention on rows x [batch*seq, dim]; returns [batch*seq, dim]. */
export function causalSelfAttention(x: Tensor, wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor, c: { batch: number; seq: number; heads: number; dim: number }): Tensor {
  const dh = c.dim / c.heads;
  // Projections stay one large GEMM over all rows; heads are split only for the score products.
  const heads = (t: Tensor, perm: number[]) => transpose(reshape(t, [c.batch, c.seq, c.heads, dh]), perm);
  // The 1/sqrt(dh) scale goes on q ([B*T, d]) rather than on the H-times larger scores.
  const q = heads(mul(matmul(x, wq), 1 / Math.sqrt(dh)), [0, 2, 1, 3]); // [B, H, T, dh]
  const kT = heads(matmul(x, wk), [0, 2, 3, 1]); // [B, H, dh, T]
  const v = heads(matmul(x, wv), [0, 2, 1, 3]);
  const scores = matmul(q, kT);
  const probs = softmax(causalMask(scores), -1);
  const ctx = reshape(transpose(matmul(probs, v), [0, 2, 1, 3]), [c.batch * c.seq, c.dim]);
  return matmul(ctx, wo);
}

/** Pre-norm Llama-style block on rows [batch*seq, dim]. */
export function decoderBlock(h: Tensor, p: Readonly<Record<string, Tensor>>, l: number, c: DecoderConfig): Tensor {
  const a = rmsNorm(h, p[`l${l}.attn_norm`]);
  const h1 = add(h, causalSelfAttention(a, p[`l${l}.wq`], p[`l${l}.wk`], p[`l${l}.wv`], p[`l${l}.wo`], c));
  const m = rmsNorm(h1, p[`l${l}.mlp_norm`]);
  const gated = mul(silu(matmul(m, p[`l${l}.w_gate`])), matmul(m, p[`l${l}.w_up`]));
  return add(h1, matmul(gated, p[`l${l}.w_down`]));
}

/** Next-token cross-entropy of a decoder stack on "tokens" and "targets" [batch, seq] int64. */
export function decoderLoss(c: DecoderConfig): LossBuilder {
  return (g: Graph, p) => {
    const tokens = g.input("tokens", "int64", [c.batch * c.seq]);
    const targets = g.input("targets", "int64", [c.batch * c.seq]);
    let h = gather(p.embed, tokens, 0);
    for (let l = 0; l < c.layers; l++) h = decoderBlock(h, p, l, c);
    const logits = matmul(rmsNorm(h, p.final_norm), p.lm_head);
    return crossEntropy(logits, targets);
  };
}

/** One attention block (attention + SwiGLU MLP) over embeddings, with a linear readout. */
export function attentionBlockParams(c: DecoderConfig): ParamSpec[] {
  return decoderParams({ ...c, layers: 1 });
}

export function attentionBlockLoss(c: DecoderConfig): LossBuilder {
  return decoderLoss({ ...c, layers: 1 });
}

export function countParams(specs: readonly ParamSpec[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}
