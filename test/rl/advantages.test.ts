import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { groupAdvantages, isZeroVariance } from "../../src/rl/advantages.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

describe("groupAdvantages", () => {
  test("standardises with the population std", () => {
    // mean 0.25, population std sqrt(0.1875)
    const a = groupAdvantages([1, 0, 0, 0], { eps: 0 });
    const std = Math.sqrt(0.1875);
    expect(a[0]).toBeCloseTo(0.75 / std, 12);
    expect(a[1]).toBeCloseTo(-0.25 / std, 12);
    expect(a.reduce((s, x) => s + x, 0)).toBeCloseTo(0, 12);
  });
  test("eps keeps the division finite and is added to the std", () => {
    const a = groupAdvantages([1, 0], { eps: 0.5 });
    expect(a).toEqual([0.5 / 1, -0.5 / 1]);
  });
  test("zero-variance groups give all-zero advantages, not NaN", () => {
    expect(groupAdvantages([1, 1, 1])).toEqual([0, 0, 0]);
  });
  test("scaleByStd false only centres", () => {
    expect(groupAdvantages([1, 0, 0, 0], { scaleByStd: false })).toEqual([0.75, -0.25, -0.25, -0.25]);
  });
  test("empty group", () => {
    expect(groupAdvantages([])).toEqual([]);
  });
});

describe("isZeroVariance", () => {
  test("all-equal rewards have zero variance, any difference does not", () => {
    expect(isZeroVariance([0, 0, 0])).toBe(true);
    expect(isZeroVariance([1])).toBe(true);
    expect(isZeroVariance([0.5, 0.5, 0.25])).toBe(false);
  });
});
