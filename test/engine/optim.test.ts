import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { add, mul, reduceSum } from "../../src/engine/ops/index.ts";
import type { OptimizerConfig } from "../../src/engine/optim.ts";
import { ParamLayout } from "../../src/engine/params.ts";
import { Trainer } from "../../src/engine/train-step.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

// loss = sum(w * c) + sum(b * c2): the gradient is the constant c, so the update is checkable by hand.
const c = [0.5, -2, 3, 1];
const c2 = [4, -1];
const layout = new ParamLayout([
  { name: "b", shape: [2], decay: false },
  { name: "w", shape: [2, 2] },
]);

function reference(cfg: OptimizerConfig, p0: number[], steps: number, lr: number): number[] {
  const grad = [...c, ...c2];
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const norm = Math.sqrt(grad.reduce((s, x) => s + x * x, 0));
  const scale = cfg.clipNorm !== undefined ? Math.min(1, cfg.clipNorm / (norm + 1e-6)) : 1;
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < p.length; i++) {
      const gi = grad[i] * scale;
      const decay = i < 4 ? (cfg.weightDecay ?? 0) : 0;
      if (cfg.kind === "adamw") {
        const b1 = cfg.beta1 ?? 0.9;
        const b2 = cfg.beta2 ?? 0.999;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        const mh = m[i] / (1 - b1 ** t);
        const vh = v[i] / (1 - b2 ** t);
        p[i] = p[i] * (1 - lr * decay) - (lr * mh) / (Math.sqrt(vh) + (cfg.eps ?? 1e-8));
      } else {
        m[i] = (cfg.momentum ?? 0) * m[i] + gi;
        p[i] = p[i] * (1 - lr * decay) - lr * m[i];
      }
    }
  }
  return p;
}

describe("optimizers as graph ops", () => {
  const cases: [string, OptimizerConfig][] = [
    ["AdamW with weight decay on the decayed prefix only", { kind: "adamw", weightDecay: 0.1 }],
    ["AdamW with global-norm clipping", { kind: "adamw", weightDecay: 0.1, clipNorm: 0.5, beta1: 0.8 }],
    ["SGD with momentum and clipping", { kind: "sgd", momentum: 0.9, weightDecay: 0.05, clipNorm: 1 }],
  ];
  for (const [name, cfg] of cases) {
    test(`${name} matches a hand-written reference over 3 steps`, async () => {
      const p0 = [0.3, -0.2, 1.5, 0.7, -1, 2];
      const trainer = new Trainer(
        layout,
        cfg,
        () => (g, p) =>
          add(
            reduceSum(mul(p.w, g.constant(c, "float64", [2, 2])), [0, 1]),
            reduceSum(mul(p.b, g.constant(c2, "float64", [2])), [0]),
          ),
        // Layout order is decayed first: w (4 values), then b.
        Float64Array.from(p0),
        {},
        "float64",
      );
      for (let t = 0; t < 3; t++) await trainer.step("one", {}, 0.05);
      const want = reference(cfg, p0, 3, 0.05);
      const got = [...layout.read(trainer.params, "w"), ...layout.read(trainer.params, "b")];
      got.forEach((x, i) => expect(x).toBeCloseTo(want[i], 12));
      await trainer.release();
    });
  }
});
