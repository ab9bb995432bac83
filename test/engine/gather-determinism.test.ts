import { expect, setDefaultTimeout, test } from "bun:test";
import { gradients } from "../../src/engine/autodiff.ts";
import { Graph } from "../../src/engine/graph.ts";
import * as op from "../../src/engine/ops/index.ts";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";

setDefaultTimeout(60_000);

// The shape of the default model's embedding gradient on a real step: 52 sequences × 128 tokens,
// hidden 192, vocabulary 4096, with many repeated tokens. ORT's ScatterND(add) split this over its
// threads and summed repeated rows in a scheduling-dependent order.
const V = 4096;
const D = 192;
const N = 52 * 128;

test("the embedding gradient is bit-identical across sessions and equals the per-row sums", async () => {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const ids = BigInt64Array.from({ length: N }, () => BigInt(Math.floor(rand() ** 3 * V))); // skewed: repeats
  const up = Float32Array.from({ length: N * D }, () => rand() * 2 - 1);
  const g = new Graph("embed_grad");
  const w = g.input("w", "float32", [V, D]);
  const idx = g.input("idx", "int64", [N]);
  const u = g.input("u", "float32", [N, D]);
  const loss = op.reduceSum(op.mul(op.gather(w, idx, 0), u), [0, 1], false);
  const [dw] = gradients(loss, [w]);
  g.output(dw, "dw");
  const feeds = { w: hostTensor("float32", [V, D], new Float32Array(V * D)), idx: hostTensor("int64", [N], ids), u: hostTensor("float32", [N, D], up) };
  const runs: Float32Array[] = [];
  for (let r = 0; r < 4; r++) {
    const session = await EngineSession.create(g, { deterministic: true });
    runs.push(Float32Array.from((await session.run(feeds)).dw.data as Float32Array));
    await session.release();
  }
  for (const r of runs.slice(1)) expect(Buffer.from(r.buffer).equals(Buffer.from(runs[0].buffer))).toBe(true);
  const ref = new Float64Array(V * D);
  for (let n = 0; n < N; n++) {
    const row = Number(ids[n]);
    for (let d = 0; d < D; d++) ref[row * D + d] += up[n * D + d];
  }
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - runs[0][i]));
  expect(worst).toBeLessThan(1e-3);
});
