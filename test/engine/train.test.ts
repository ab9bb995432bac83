import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Graph } from "../../src/engine/graph.ts";
import { type DecoderConfig, attentionBlockLoss, attentionBlockParams, mlpLoss, mlpParams } from "../../src/engine/models.ts";
import type { OptimizerConfig } from "../../src/engine/optim.ts";
import { ParamLayout, normalFrom, xorshiftUniform } from "../../src/engine/params.ts";
import { EngineSession, type HostTensor, hostTensor } from "../../src/engine/session.ts";
import { TRAIN_IO, Trainer, buildTrainGraph } from "../../src/engine/train-step.ts";
import { seededUniform } from "./grad-check.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const adamw: OptimizerConfig = { kind: "adamw", weightDecay: 0.01, clipNorm: 1.0 };
const mlp = { inputs: 6, hidden: 16, outputs: 3, batch: 8 };
const block: DecoderConfig = { vocab: 11, dim: 16, layers: 1, heads: 2, ffn: 24, batch: 2, seq: 6 };

function mlpFeeds(dtype: "float32" | "float64"): Record<string, HostTensor> {
  const x = seededUniform(11, mlp.batch * mlp.inputs);
  const y = seededUniform(12, mlp.batch * mlp.outputs);
  const arr = (a: Float64Array) => (dtype === "float32" ? Float32Array.from(a) : a);
  return { x: hostTensor(dtype, [mlp.batch, mlp.inputs], arr(x)), y: hostTensor(dtype, [mlp.batch, mlp.outputs], arr(y)) };
}

function tokenFeeds(c: DecoderConfig): Record<string, HostTensor> {
  const n = c.batch * c.seq;
  const tok = Array.from(seededUniform(21, n + 1, 0, c.vocab), Math.floor);
  return {
    tokens: hostTensor("int64", [n], BigInt64Array.from(tok.slice(0, n).map(BigInt))),
    targets: hostTensor("int64", [n], BigInt64Array.from(tok.slice(1).map(BigInt))),
  };
}

async function lossCurve(trainer: Trainer, feeds: Record<string, HostTensor>, steps: number, lr: number): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await trainer.step("fixed", feeds, lr)).loss);
  return losses;
}

function expectMonotoneDecrease(losses: number[]): void {
  for (let i = 1; i < losses.length; i++) {
    if (!(losses[i] < losses[i - 1])) throw new Error(`loss rose at step ${i}: ${losses[i - 1]} -> ${losses[i]} (curve ${losses.map((l) => l.toFixed(4)).join(" ")})`);
  }
}

describe("training with graph-built AdamW", () => {
  test("an MLP's loss on a fixed batch falls at every one of 50 steps", async () => {
    const layout = new ParamLayout(mlpParams(mlp));
    const init = layout.initialize(normalFrom(xorshiftUniform(1)));
    const trainer = new Trainer(layout, adamw, () => mlpLoss(mlp), init);
    const losses = await lossCurve(trainer, mlpFeeds("float32"), 50, 1e-2);
    expectMonotoneDecrease(losses);
    expect(losses[49]).toBeLessThan(0.5 * losses[0]);
    expect(trainer.sessionCount).toBe(1);
    await trainer.release();
  });

  test("a causal attention block's loss on a fixed batch falls at every one of 50 steps", async () => {
    const layout = new ParamLayout(attentionBlockParams(block));
    const init = layout.initialize(normalFrom(xorshiftUniform(2)));
    const trainer = new Trainer(layout, adamw, () => attentionBlockLoss(block), init);
    const losses = await lossCurve(trainer, tokenFeeds(block), 50, 3e-3);
    expectMonotoneDecrease(losses);
    expect(losses[49]).toBeLessThan(0.7 * losses[0]);
    await trainer.release();
  });

  test("SGD with momentum and a shape bucket per graph also lowers the loss", async () => {
    const layout = new ParamLayout(mlpParams(mlp));
    const trainer = new Trainer(layout, { kind: "sgd", momentum: 0.9, weightDecay: 1e-4 }, () => mlpLoss(mlp), layout.initialize(normalFrom(xorshiftUniform(3))));
    const losses = await lossCurve(trainer, mlpFeeds("float32"), 20, 2e-2);
    expect(losses[19]).toBeLessThan(losses[0]);
    await trainer.release();
  });
});

describe("whole-graph gradients match finite differences (float64)", () => {
  for (const [name, specs, loss, feeds] of [
    ["MLP", mlpParams(mlp), mlpLoss(mlp), mlpFeeds("float64")],
    ["attention block", attentionBlockParams(block), attentionBlockLoss(block), tokenFeeds(block)],
  ] as const) {
    test(`${name}: sampled parameters`, async () => {
      const layout = new ParamLayout(specs);
      const g = buildTrainGraph(layout, { kind: "sgd" }, loss, { dtype: "float64", outputGrad: true });
      const s = await EngineSession.create(g, { deterministic: true });
      const p = layout.initialize(normalFrom(xorshiftUniform(5)), "float64") as Float64Array;
      // Non-trivial norm gains so their gradients are exercised too.
      for (let i = 0; i < p.length; i++) if (p[i] === 1) p[i] = 1 + 0.3 * Math.sin(i);
      const n = layout.total;
      const zeros = new Float64Array(n);
      const run = async (params: Float64Array) =>
        s.run({
          ...feeds,
          [TRAIN_IO.params]: hostTensor("float64", [n], params),
          [TRAIN_IO.m]: hostTensor("float64", [n], zeros),
          [TRAIN_IO.v]: hostTensor("float64", [n], zeros),
          [TRAIN_IO.lr]: hostTensor("float64", [], Float64Array.of(0)),
          [TRAIN_IO.step]: hostTensor("float64", [], Float64Array.of(1)),
        });
      const grad = (await run(p))[TRAIN_IO.grad].data as Float64Array;
      const h = 1e-6;
      let worst = 0;
      // One sample in every parameter tensor, plus a stride through the whole buffer.
      const picks = new Set<number>(layout.slots.map((sl) => sl.offset + Math.floor(sl.size / 2)));
      for (let i = 0; i < n; i += Math.ceil(n / 40)) picks.add(i);
      for (const i of picks) {
        const plus = Float64Array.from(p);
        const minus = Float64Array.from(p);
        plus[i] += h;
        minus[i] -= h;
        const lp = Number((await run(plus))[TRAIN_IO.loss].data[0]);
        const lm = Number((await run(minus))[TRAIN_IO.loss].data[0]);
        const numeric = (lp - lm) / (2 * h);
        const err = Math.abs(numeric - grad[i]) / (1e-3 + Math.abs(numeric) + Math.abs(grad[i]));
        if (err > worst) worst = err;
        if (err > 1e-5) throw new Error(`${name}: param ${i}: analytic ${grad[i]} vs numeric ${numeric}`);
      }
      expect(worst).toBeLessThan(1e-5);
      await s.release();
    });
  }
});

describe("deterministic sessions", () => {
  test("two deterministic sessions give bit-identical train steps", async () => {
    const c: DecoderConfig = { vocab: 64, dim: 64, layers: 2, heads: 4, ffn: 128, batch: 4, seq: 32 };
    const layout = new ParamLayout(attentionBlockParams(c));
    const init = layout.initialize(normalFrom(xorshiftUniform(9))) as Float32Array;
    const digests: string[] = [];
    for (let r = 0; r < 2; r++) {
      const trainer = new Trainer(layout, adamw, () => attentionBlockLoss(c), init.slice(), { deterministic: true });
      for (let i = 0; i < 3; i++) await trainer.step("fixed", tokenFeeds(c), 1e-3);
      digests.push(new Bun.CryptoHasher("sha256").update(new Uint8Array(trainer.params.buffer)).digest("hex"));
      await trainer.release();
    }
    expect(digests[1]).toBe(digests[0]);
  });
});
