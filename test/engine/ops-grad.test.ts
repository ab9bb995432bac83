import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Graph, type Tensor } from "../../src/engine/graph.ts";
import * as op from "../../src/engine/ops/index.ts";
import { type HostTensor, hostTensor } from "../../src/engine/session.ts";
import { checkGradients, seededUniform } from "./grad-check.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

interface FloatInput {
  readonly shape: number[];
  readonly lo?: number;
  readonly hi?: number;
}

interface Case {
  readonly name: string;
  readonly inputs: Record<string, FloatInput>;
  readonly ints?: Record<string, { shape: number[]; values: number[] }>;
  readonly build: (t: Record<string, Tensor>, g: Graph) => Tensor;
  readonly h?: number;
  readonly tol?: number;
}

const F = (...shape: number[]): FloatInput => ({ shape });
const POS = (...shape: number[]): FloatInput => ({ shape, lo: 0.5, hi: 2 });

const cases: Case[] = [
  { name: "Add broadcasts [2,3] + [3]", inputs: { a: F(2, 3), b: F(3) }, build: (t) => op.add(t.a, t.b) },
  { name: "Add broadcasts [2,1,3] + [4,1]", inputs: { a: F(2, 1, 3), b: F(4, 1) }, build: (t) => op.add(t.a, t.b) },
  { name: "Sub broadcasts [2,3] - [2,1]", inputs: { a: F(2, 3), b: F(2, 1) }, build: (t) => op.sub(t.a, t.b) },
  { name: "Mul broadcasts [3,1] * [1,4]", inputs: { a: F(3, 1), b: F(1, 4) }, build: (t) => op.mul(t.a, t.b) },
  { name: "Div broadcasts [2,3] / [3]", inputs: { a: F(2, 3), b: POS(3) }, build: (t) => op.div(t.a, t.b) },
  { name: "Pow with constant exponent 2", inputs: { a: F(2, 3) }, build: (t) => op.pow(t.a, 2) },
  { name: "Pow with constant exponent -0.5", inputs: { a: POS(2, 3) }, build: (t) => op.pow(t.a, -0.5) },
  { name: "Pow with tensor exponent", inputs: { a: POS(2, 3), b: F(3) }, build: (t) => op.pow(t.a, t.b) },
  { name: "Sqrt", inputs: { a: POS(5) }, build: (t) => op.sqrt(t.a) },
  { name: "Reciprocal", inputs: { a: POS(5) }, build: (t) => op.reciprocal(t.a) },
  { name: "Rsqrt", inputs: { a: POS(5) }, build: (t) => op.rsqrt(t.a) },
  { name: "Exp", inputs: { a: F(2, 3) }, build: (t) => op.exp(t.a) },
  { name: "Log", inputs: { a: POS(2, 3) }, build: (t) => op.log(t.a) },
  { name: "Neg", inputs: { a: F(4) }, build: (t) => op.neg(t.a) },
  { name: "Sigmoid", inputs: { a: F(2, 3) }, build: (t) => op.sigmoid(t.a) },
  { name: "SiLU", inputs: { a: F(2, 3) }, build: (t) => op.silu(t.a) },
  { name: "Tanh", inputs: { a: F(2, 3) }, build: (t) => op.tanh(t.a) },
  { name: "Relu", inputs: { a: POS(2, 3) }, build: (t) => op.relu(op.sub(t.a, 1.23)) },
  { name: "MatMul 2-D", inputs: { a: F(3, 4), b: F(4, 2) }, build: (t) => op.matmul(t.a, t.b) },
  { name: "MatMul batched by shared weight [2,3,4]x[4,5]", inputs: { a: F(2, 3, 4), b: F(4, 5) }, build: (t) => op.matmul(t.a, t.b) },
  { name: "MatMul batched [2,3,4]x[2,4,5]", inputs: { a: F(2, 3, 4), b: F(2, 4, 5) }, build: (t) => op.matmul(t.a, t.b) },
  { name: "MatMul broadcast batch [1,3,4]x[2,2,4,3]", inputs: { a: F(1, 3, 4), b: F(2, 2, 4, 3) }, build: (t) => op.matmul(t.a, t.b) },
  { name: "MatMul weight batched [2,3]x[4,3,2]", inputs: { a: F(2, 3), b: F(4, 3, 2) }, build: (t) => op.matmul(t.a, t.b) },
  { name: "Gemm via MatMul rule [3,4]x[4,2] (transposed forms)", inputs: { a: F(4, 3), b: F(2, 4) }, build: (t) => op.matmul(op.transpose(t.a), op.transpose(t.b)) },
  { name: "ReduceSum keepdims", inputs: { a: F(2, 3, 4) }, build: (t) => op.reduceSum(t.a, [0, 2], true) },
  { name: "ReduceSum dropping axes", inputs: { a: F(2, 3, 4) }, build: (t) => op.reduceSum(t.a, [1]) },
  { name: "ReduceMean", inputs: { a: F(2, 3, 4) }, build: (t) => op.reduceMean(t.a, [-1]) },
  { name: "ReduceMax", inputs: { a: F(3, 5) }, build: (t) => op.reduceMax(t.a, [1], true) },
  { name: "Softmax last axis", inputs: { a: F(2, 5) }, build: (t) => op.softmax(t.a, -1) },
  { name: "Softmax axis 0", inputs: { a: F(3, 2) }, build: (t) => op.softmax(t.a, 0) },
  { name: "LogSoftmax", inputs: { a: F(2, 5) }, build: (t) => op.logSoftmax(t.a, -1) },
  { name: "Transpose", inputs: { a: F(2, 3, 4) }, build: (t) => op.transpose(t.a, [2, 0, 1]) },
  { name: "Reshape with -1", inputs: { a: F(2, 3, 4) }, build: (t) => op.reshape(t.a, [-1, 4]) },
  { name: "Slice with negative start", inputs: { a: F(4, 5) }, build: (t) => op.slice(t.a, [1, -3], [3, 5], [0, 1]) },
  { name: "Concat", inputs: { a: F(2, 3), b: F(2, 2) }, build: (t) => op.concat([t.a, t.b, t.a], 1) },
  { name: "Expand", inputs: { a: F(3, 1) }, build: (t) => op.expand(t.a, [2, 3, 4]) },
  { name: "Unsqueeze", inputs: { a: F(2, 3) }, build: (t) => op.mul(op.unsqueeze(t.a, [0, 2]), op.unsqueeze(t.a, [0, 2])) },
  { name: "Squeeze", inputs: { a: F(2, 1, 3) }, build: (t) => op.squeeze(t.a, [1]) },
  {
    name: "Where with broadcast branches",
    inputs: { a: F(2, 3), b: F(3) },
    build: (t, g) => op.where(g.constant([1, 0, 1, 0, 0, 1], "bool", [2, 3]), t.a, t.b),
  },
  {
    name: "Cast float64 -> float32 -> float64",
    inputs: { a: F(4) },
    build: (t) => op.cast(op.mul(op.cast(t.a, "float32"), op.cast(t.a, "float32")), "float64"),
    h: 1e-3,
    tol: 1e-4,
  },
  {
    name: "Gather accumulates repeated rows",
    inputs: { w: F(5, 3) },
    ints: { idx: { shape: [2, 3], values: [0, 3, 3, 4, 0, 3] } },
    build: (t) => op.gather(t.w, t.idx, 0),
  },
  {
    name: "GatherElements (token log-probs)",
    inputs: { a: F(3, 4) },
    ints: { idx: { shape: [3, 2], values: [0, 3, 2, 2, 1, 0] } },
    build: (t) => op.gatherElements(t.a, t.idx, 1),
  },
  { name: "Causal mask then softmax", inputs: { a: F(2, 3, 3) }, build: (t) => op.softmax(op.causalMask(t.a), -1) },
  { name: "Causal mask with more keys than queries", inputs: { a: F(2, 4) }, build: (t) => op.softmax(op.causalMask(t.a), -1) },
  {
    name: "Cross-entropy",
    inputs: { a: F(2, 3, 5) },
    ints: { y: { shape: [2, 3], values: [0, 4, 2, 1, 1, 3] } },
    build: (t) => op.crossEntropy(t.a, t.y),
  },
  { name: "RMSNorm", inputs: { x: F(3, 4), w: F(4) }, build: (t) => op.rmsNorm(t.x, t.w) },
  // Composites with their own rules (SiLU, RMSNorm, token log-probs), in the shapes and reuse the models have.
  { name: "RMSNorm over [2,3,4] (qk-norm shape), input also used after it", inputs: { x: F(2, 3, 4), w: F(4) }, build: (t) => op.add(op.rmsNorm(t.x, t.w), op.mul(t.x, t.x)) },
  { name: "SiLU used twice and next to its input", inputs: { a: F(2, 3) }, build: (t) => op.mul(op.silu(t.a), op.add(op.silu(op.mul(t.a, 2)), t.a)) },
  {
    name: "Token log-probs with the logits used elsewhere too",
    inputs: { a: F(3, 5) },
    ints: { y: { shape: [3], values: [4, 0, 4] } },
    build: (t) => op.add(op.tokenLogProbs(t.a, t.y), op.reduceSum(op.mul(t.a, t.a), [1])),
  },
  { name: "Sum of three", inputs: { a: F(2, 3), b: F(3) }, build: (t) => op.sum([t.a, t.b, t.a]) },
];

describe("op gradients match central finite differences in float64", () => {
  cases.forEach((c, ci) => {
    test(c.name, async () => {
      const g = new Graph(c.name);
      const t: Record<string, Tensor> = {};
      const feeds: Record<string, HostTensor> = {};
      const wrt: Tensor[] = [];
      Object.entries(c.inputs).forEach(([name, spec], k) => {
        t[name] = g.input(name, "float64", spec.shape);
        wrt.push(t[name]);
        const n = spec.shape.reduce((a, b) => a * b, 1);
        feeds[name] = hostTensor("float64", spec.shape, seededUniform(1000 * ci + k + 1, n, spec.lo ?? -1, spec.hi ?? 1));
      });
      for (const [name, spec] of Object.entries(c.ints ?? {})) {
        t[name] = g.input(name, "int64", spec.shape);
        feeds[name] = hostTensor("int64", spec.shape, BigInt64Array.from(spec.values.map(BigInt)));
      }
      const out = c.build(t, g);
      const res = await checkGradients(g, out, feeds, wrt, { h: c.h });
      expect(res.checked).toBeGreaterThan(0);
      if (res.maxError > (c.tol ?? 1e-6)) throw new Error(`${c.name}: ${res.worst} (error ${res.maxError})`);
    });
  });
});
