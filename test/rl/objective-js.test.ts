import { describe, expect, test } from "bun:test";
import { clippedSurrogate, grpoObjectiveJs, k3 } from "../../src/rl/objective-js.ts";

const EPS = [0.2, 0.28] as const;
const term = (logRatio: number, advantage: number) => clippedSurrogate(logRatio, advantage, ...EPS);

describe("clippedSurrogate", () => {
  test("at ratio 1 the loss is -A and the gradient is -A", () => {
    expect(term(0, 1.5)).toEqual({ loss: -1.5, dLossDLogp: -1.5, clipped: false });
  });

  test("gradient matches a central finite difference wherever the loss is smooth", () => {
    const h = 1e-6;
    for (const A of [-1.3, -0.2, 0.4, 2]) {
      for (let lr = -0.6; lr <= 0.6; lr += 0.05) {
        // skip points within h of the clip boundaries, where the loss has a kink
        const r = Math.exp(lr);
        if (Math.abs(r - 0.8) < 1e-4 || Math.abs(r - 1.28) < 1e-4) continue;
        const num = (term(lr + h, A).loss - term(lr - h, A).loss) / (2 * h);
        expect(term(lr, A).dLossDLogp).toBeCloseTo(num, 6);
      }
    }
  });

  test("clip-higher is asymmetric: positive advantages clip above 1.28, negative below 0.8", () => {
    expect(term(Math.log(1.25), 1).clipped).toBe(false);
    expect(term(Math.log(1.3), 1)).toEqual({ loss: -1.28, dLossDLogp: 0, clipped: true });
    expect(term(Math.log(0.82), -1).clipped).toBe(false);
    const low = term(Math.log(0.78), -1);
    expect(low.clipped).toBe(true);
    expect(low.dLossDLogp).toBe(0);
    expect(low.loss).toBeCloseTo(0.8, 12);
    // 1.25 is inside the upper range but would be clipped by a symmetric 0.2
    expect(clippedSurrogate(Math.log(1.25), 1, 0.2, 0.2).clipped).toBe(true);
  });

  test("ratios on the 'wrong' side are never clipped (pessimistic min)", () => {
    const t = term(Math.log(2), -1);
    expect(t.clipped).toBe(false);
    expect(t.loss).toBeCloseTo(2, 12);
    expect(t.dLossDLogp).toBeCloseTo(2, 12);
    expect(term(Math.log(0.5), 1).clipped).toBe(false);
  });
});

describe("k3", () => {
  test("is zero at the reference, positive elsewhere, and its derivative matches a central difference", () => {
    expect(k3(-1.2, -1.2)).toEqual({ value: 0, dValueDLogp: 0 });
    for (const [lp, ref] of [[-1, -1.5], [-2, -0.3], [-0.1, -3]]) {
      expect(k3(lp, ref).value).toBeGreaterThan(0);
      const h = 1e-6;
      expect(k3(lp, ref).dValueDLogp).toBeCloseTo((k3(lp + h, ref).value - k3(lp - h, ref).value) / (2 * h), 6);
    }
  });
});

describe("grpoObjectiveJs", () => {
  const flat = (logRatios: number[], advantages: number[], mask = logRatios.map(() => 1)) => ({
    logprobs: logRatios,
    behaviour: logRatios.map(() => 0),
    advantages,
    lossMask: mask,
    reference: logRatios.map(() => 0),
  });

  test("aggregates at token level: long sequences weigh by their length", () => {
    // a 3-token sequence with A = 1 and a 1-token one with A = -1
    const out = grpoObjectiveJs(flat([0, 0, 0, 0], [1, 1, 1, -1]), { epsLow: 0.2, epsHigh: 0.28 });
    expect(out.loss).toBeCloseTo((-3 + 1) / 4, 12);
    expect(Array.from(out.grads)).toEqual([-0.25, -0.25, -0.25, 0.25]);
    expect(out.clipFrac).toBe(0);
    expect(out.tokens).toBe(4);
  });

  test("clip fraction counts clipped loss tokens; masked tokens count nowhere", () => {
    const out = grpoObjectiveJs(flat([0, Math.log(1.5), Math.log(1.5)], [1, 1, 1], [1, 1, 0]), { epsLow: 0.2, epsHigh: 0.28 });
    expect(out.clipFrac).toBe(0.5);
    expect(out.tokens).toBe(2);
    expect(out.grads[2]).toBe(0);
  });

  test("an empty mask gives zeros, not NaN", () => {
    expect(grpoObjectiveJs(flat([0.3], [1], [0]), { epsLow: 0.2, epsHigh: 0.28, klCoef: 1 })).toMatchObject({ loss: 0, clipFrac: 0, tokens: 0, kl: 0 });
  });

  test("the KL term enters the loss and the gradient only through klCoef", () => {
    const x = { ...flat([0.1, -0.2], [0.5, -0.5]), reference: [-0.4, 0.3] };
    const off = grpoObjectiveJs(x, { epsLow: 0.2, epsHigh: 0.28 });
    const on = grpoObjectiveJs(x, { epsLow: 0.2, epsHigh: 0.28, klCoef: 0.5 });
    expect(off.kl).toBeGreaterThan(0);
    expect(on.kl).toBe(off.kl);
    expect(on.loss).toBeCloseTo(off.loss + 0.5 * off.kl, 12);
    const h = 1e-6;
    for (let i = 0; i < 2; i++) {
      const at = (d: number) => grpoObjectiveJs({ ...x, logprobs: x.logprobs.map((v, j) => (j === i ? v + d : v)) }, { epsLow: 0.2, epsHigh: 0.28, klCoef: 0.5 }).loss;
      expect(on.grads[i]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 6);
    }
  });

  test("inputs of different lengths are refused", () => {
    expect(() => grpoObjectiveJs({ ...flat([0, 0], [1, 1]), reference: [0] }, { epsLow: 0.2, epsHigh: 0.28 })).toThrow(/reference/);
  });
});
