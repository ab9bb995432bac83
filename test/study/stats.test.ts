import { describe, expect, test } from "bun:test";
import { bootstrapInterval, difference, excludesZero, mean, meanInterval, sampleStd, tCdf, tInterval, tQuantile, welchInterval } from "../../src/study/stats.ts";

describe("Student t quantile", () => {
  // Two-sided 95% critical values from any t table.
  const table: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [4, 2.776],
    [9, 2.262],
    [30, 2.042],
  ];
  for (const [df, t] of table) {
    test(`t(0.975, ${df}) = ${t}`, () => expect(tQuantile(0.975, df)).toBeCloseTo(t, 3));
  }

  test("tends to the normal quantile 1.95996 as df grows", () => expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.95996, 4));

  test("is symmetric and inverts the CDF, also at fractional df", () => {
    expect(tQuantile(0.025, 7)).toBeCloseTo(-tQuantile(0.975, 7), 10);
    for (const df of [1.5, 3.3, 12.7]) expect(tCdf(tQuantile(0.9, df), df)).toBeCloseTo(0.9, 9);
    expect(tCdf(0, 5)).toBeCloseTo(0.5, 12);
  });
});

describe("mean and the t interval", () => {
  test("mean and sample standard deviation (n - 1)", () => {
    expect(mean([1, 2, 3, 4, 5])).toBe(3);
    expect(sampleStd([1, 2, 3, 4, 5])).toBeCloseTo(Math.sqrt(2.5), 12);
  });

  test("1..5: 3 ± 2.776445·√2.5/√5 = 3 ± 1.963243", () => {
    const iv = tInterval([1, 2, 3, 4, 5]);
    expect(iv.n).toBe(5);
    expect(iv.mean).toBe(3);
    expect(iv.halfWidth!).toBeCloseTo(1.963243, 5);
    expect(iv.lo!).toBeCloseTo(1.036757, 5);
    expect(iv.hi!).toBeCloseTo(4.963243, 5);
    expect(iv.df).toBe(4);
    expect(iv.method).toBe("t");
  });

  test("two values: the interval uses t(0.975, 1) = 12.706", () => {
    const iv = tInterval([0, 1]);
    // s = √0.5, se = 0.5
    expect(iv.halfWidth!).toBeCloseTo(12.706205 * 0.5, 4);
  });

  test("n = 1 has no interval, only the value", () => {
    const iv = tInterval([0.42]);
    expect(iv).toMatchObject({ n: 1, mean: 0.42, lo: null, hi: null, halfWidth: null, method: "n=1" });
    expect(bootstrapInterval([0.42], "x").lo).toBeNull();
  });

  test("equal values give a zero-width interval", () => {
    expect(tInterval([2, 2, 2])).toMatchObject({ lo: 2, hi: 2, halfWidth: 0 });
  });
});

describe("bootstrap", () => {
  test("is reproducible from its seed and label, and moves with them", () => {
    const xs = [0.1, 0.4, 0.35, 0.8, 0.5];
    const a = bootstrapInterval(xs, "m", { samples: 2000, seed: 0 });
    expect(bootstrapInterval(xs, "m", { samples: 2000, seed: 0 })).toEqual(a);
    expect(bootstrapInterval(xs, "m", { samples: 2000, seed: 1 }).lo).not.toBe(a.lo);
    expect(a.method).toBe("bootstrap");
  });

  test("the percentile interval lies within the data's range and around the mean", () => {
    const xs = [0.1, 0.4, 0.35, 0.8, 0.5];
    const iv = meanInterval(xs, "bootstrap", "m", { samples: 4000, seed: 3 });
    expect(iv.lo!).toBeGreaterThanOrEqual(0.1);
    expect(iv.hi!).toBeLessThanOrEqual(0.8);
    expect(iv.lo!).toBeLessThan(mean(xs));
    expect(iv.hi!).toBeGreaterThan(mean(xs));
    // Narrower than t with 4 df, whose tails are heavier than the resampled means'.
    expect(iv.hi! - iv.lo!).toBeLessThan(tInterval(xs).hi! - tInterval(xs).lo!);
  });
});

describe("differences", () => {
  test("same seeds: the paired t interval of the per-seed differences", () => {
    const a = new Map([[1, 1], [2, 2], [3, 4]]);
    const b = new Map([[1, 0], [2, 1], [3, 2]]);
    // d = 1, 1, 2: mean 4/3, s = √(1/3), se = 1/3, t(0.975, 2) = 4.302653
    const d = difference(a, b, "t", "x");
    expect(d.method).toBe("paired-t");
    expect(d.mean).toBeCloseTo(4 / 3, 12);
    expect(d.halfWidth!).toBeCloseTo(4.302653 / 3, 5);
    expect(d.n).toBe(3);
  });

  test("pairing removes the variance the methods share across seeds", () => {
    const a = new Map([[1, 0.1], [2, 0.5], [3, 0.9]]);
    const b = new Map([[1, 0.0], [2, 0.41], [3, 0.8]]);
    const paired = difference(a, b, "t", "x");
    expect(excludesZero(paired)).toBe(true);
    expect(excludesZero(welchInterval([...a.values()], [...b.values()]))).toBe(false);
  });

  test("seeds that do not pair fall back to Welch with the Welch-Satterthwaite df", () => {
    const a = new Map([[1, 1], [2, 2], [3, 3]]);
    const b = new Map([[1, 2], [2, 4], [4, 6], [5, 8]]);
    const d = difference(a, b, "t", "x");
    expect(d.method).toBe("welch-t");
    expect(d.mean).toBe(-3);
    // va = 1/3, vb = (20/3)/4 = 5/3; se = √2; df = 4 / ((1/3)²/2 + (5/3)²/3) = 4.0755
    expect(d.df!).toBeCloseTo(4 / (1 / 18 + 25 / 27), 10);
    expect(d.halfWidth!).toBeCloseTo(tQuantile(0.975, d.df!) * Math.SQRT2, 10);
    expect(d.halfWidth!).toBeGreaterThan(tQuantile(0.975, 5) * Math.SQRT2);
    expect(d.halfWidth!).toBeLessThan(tQuantile(0.975, 4) * Math.SQRT2);
  });

  test("a single shared seed gives no interval", () => {
    expect(difference(new Map([[1, 0.5]]), new Map([[1, 0.2]]), "t", "x")).toMatchObject({ n: 1, lo: null, method: "n=1" });
  });

  test("bootstrap differences: paired by seed when seeds pair, else resampled independently", () => {
    const a = new Map([[1, 0.3], [2, 0.5], [3, 0.6]]);
    const b = new Map([[1, 0.1], [2, 0.2], [3, 0.4]]);
    expect(difference(a, b, "bootstrap", "x", { samples: 500, seed: 0 }).method).toBe("paired-bootstrap");
    expect(difference(a, new Map([[7, 0.1], [8, 0.3]]), "bootstrap", "x", { samples: 500, seed: 0 }).method).toBe("unpaired-bootstrap");
  });

  test("excludesZero is false for an undefined interval and for one that straddles 0", () => {
    expect(excludesZero(tInterval([1]))).toBe(false);
    expect(excludesZero(tInterval([-1, 1]))).toBe(false);
    expect(excludesZero(tInterval([1, 1.1, 1.2]))).toBe(true);
  });
});
