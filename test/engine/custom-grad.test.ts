import { describe, expect, test } from "bun:test";
import { gradients, withGradient } from "../../src/engine/autodiff.ts";
import { Graph } from "../../src/engine/graph.ts";
import * as op from "../../src/engine/ops/index.ts";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";

async function evaluate(g: Graph, feeds: Record<string, number[]>): Promise<Record<string, number[]>> {
  const s = await EngineSession.create(g, { deterministic: true });
  const host = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, hostTensor("float64", [v.length], Float64Array.from(v))]));
  const out = await s.run(host);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data as Float64Array)]));
}

describe("withGradient: composites with their own backward rule", () => {
  test("the rule replaces the primitives' gradients", async () => {
    const g = new Graph("custom");
    const x = g.input("x", "float64", [3]);
    // Forward exp(x); a deliberately different rule (3 g) proves which one ran.
    const y = withGradient([x], () => op.exp(x), (gy) => [op.mul(gy, 3)]);
    const [dx] = gradients(op.reduceSum(y, [0]), [x]);
    g.output(dx, "dx");
    expect((await evaluate(g, { x: [0, 1, 2] })).dx).toEqual([3, 3, 3]);
  });

  test("differentiating with respect to a tensor inside the composite falls back to the primitives", async () => {
    const g = new Graph("interior");
    const x = g.input("x", "float64", [3]);
    let inner: ReturnType<typeof op.exp> | undefined;
    const y = withGradient([x], () => op.mul((inner = op.exp(x)), 2), (gy) => [op.mul(gy, 3)]);
    const [dInner, dx] = gradients(op.reduceSum(y, [0]), [inner!, x]);
    g.output(dInner, "d_inner");
    g.output(dx, "dx");
    const out = await evaluate(g, { x: [0, 1, 2] });
    expect(out.d_inner).toEqual([2, 2, 2]);
    out.dx.forEach((v, i) => expect(v).toBeCloseTo(2 * Math.exp(i), 12));
  });

  test("weight decay on a prefix whose rows would need a large mask keeps the slice form", async () => {
    const { optimizerStep } = await import("../../src/engine/optim.ts");
    const g = new Graph("decay");
    const n = 70_001; // gcd(70_000, 70_001) = 1: the column form would need 70_001 rows
    const p = g.input("p", "float64", [n]);
    const zeros = g.input("z", "float64", [n]);
    const lr = g.input("lr", "float64", []);
    const step = g.input("step", "float64", []);
    const out = optimizerStep({ kind: "sgd", weightDecay: 0.5 }, { params: p, grad: zeros, m: zeros, v: zeros, lr, step, decayed: 70_000 });
    g.output(out.params, "p_out");
    expect(g.liveNodes().some((x) => x.op.type === "Concat")).toBe(true);
    const s = await EngineSession.create(g, { deterministic: true });
    const res = await s.run({
      p: hostTensor("float64", [n], new Float64Array(n).fill(2)),
      z: hostTensor("float64", [n], new Float64Array(n)),
      lr: hostTensor("float64", [], Float64Array.of(0.1)),
      step: hostTensor("float64", [], Float64Array.of(1)),
    });
    await s.release();
    const d = res.p_out.data as Float64Array;
    expect(d[0]).toBeCloseTo(2 * (1 - 0.05), 12);
    expect(d[69_999]).toBeCloseTo(2 * (1 - 0.05), 12);
    expect(d[70_000]).toBe(2);
  });
});
