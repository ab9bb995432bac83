import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { clippedSurrogate, DEFAULT_GRPO, grpoConfig, surrogateBatch } from "../../src/rl/grpo.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

describe("clippedSurrogate", () => {
  test("defaults are DAPO's clip-higher epsilons", () => {
    expect(DEFAULT_GRPO.epsLow).toBe(0.2);
    expect(DEFAULT_GRPO.epsHigh).toBe(0.28);
  });

  test("at ratio 1 the loss is -A and the gradient is -A", () => {
    expect(clippedSurrogate(0, 1.5, 0.2, 0.28)).toEqual({ loss: -1.5, dLossDLogp: -1.5, clipped: false });
  });

  test("gradient matches a central finite difference wherever the loss is smooth", () => {
    const h = 1e-6;
    for (const A of [-1.3, -0.2, 0.4, 2]) {
      for (let lr = -0.6; lr <= 0.6; lr += 0.05) {
        // skip points within h of the clip boundaries, where the loss has a kink
        const r = Math.exp(lr);
        if (Math.abs(r - 0.8) < 1e-4 || Math.abs(r - 1.28) < 1e-4) continue;
        const num = (clippedSurrogate(lr + h, A).loss - clippedSurrogate(lr - h, A).loss) / (2 * h);
        expect(clippedSurrogate(lr, A).dLossDLogp).toBeCloseTo(num, 6);
      }
    }
  });

  test("clip-higher is asymmetric: positive advantages clip above 1.28, negative below 0.8", () => {
    expect(clippedSurrogate(Math.log(1.25), 1).clipped).toBe(false);
    expect(clippedSurrogate(Math.log(1.3), 1)).toEqual({ loss: -1.28, dLossDLogp: 0, clipped: true });
    expect(clippedSurrogate(Math.log(0.82), -1).clipped).toBe(false);
    const low = clippedSurrogate(Math.log(0.78), -1);
    expect(low.clipped).toBe(true);
    expect(low.dLossDLogp).toBe(0);
    expect(low.loss).toBeCloseTo(0.8, 12);
    // 1.25 is inside the upper range but would be clipped by a symmetric 0.2
    expect(clippedSurrogate(Math.log(1.25), 1, 0.2, 0.2).clipped).toBe(true);
  });

  test("ratios on the 'wrong' side are never clipped (pessimistic min)", () => {
    const t = clippedSurrogate(Math.log(2), -1);
    expect(t.clipped).toBe(false);
    expect(t.loss).toBeCloseTo(2, 12);
    expect(t.dLossDLogp).toBeCloseTo(2, 12);
    expect(clippedSurrogate(Math.log(0.5), 1).clipped).toBe(false);
  });
});

describe("surrogateBatch", () => {
  test("aggregates at token level: long sequences weigh by their length", () => {
    const out = surrogateBatch([
      { logRatios: [0, 0, 0], advantage: 1 },
      { logRatios: [0], advantage: -1 },
    ]);
    expect(out.loss).toBeCloseTo((-3 + 1) / 4, 12);
    expect(Array.from(out.grads[0]!)).toEqual([-0.25, -0.25, -0.25]);
    expect(Array.from(out.grads[1]!)).toEqual([0.25]);
    expect(out.clipFrac).toBe(0);
  });
  test("clip fraction counts clipped tokens", () => {
    const out = surrogateBatch([{ logRatios: [0, Math.log(1.5)], advantage: 1 }]);
    expect(out.clipFrac).toBe(0.5);
  });
});

describe("grpoConfig", () => {
  test("merges over defaults and rejects nonsense", () => {
    expect(grpoConfig({ epsHigh: 0.3 }).epsHigh).toBe(0.3);
    expect(grpoConfig().dropZeroVariance).toBe(true);
    expect(() => grpoConfig({ epsLow: 1.5 })).toThrow(/epsLow/);
  });
});
