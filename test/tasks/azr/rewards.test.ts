import { describe, expect, test } from "bun:test";
import { trrAdvantages } from "../../../src/rl/advantages.ts";
import { AZR_ROLES, AZR_TASK_TYPES, azrBucket, invalidProposalReward, learnabilityReward, solveRate, solverReward } from "../../../src/tasks/azr/index.ts";

describe("AZR rewards", () => {
  test("learnability is 1 - r inside (0, 1) and 0 at r = 0 or 1; official gives -0.5 there", () => {
    expect(learnabilityReward(0.25)).toBe(0.75);
    expect(learnabilityReward(7 / 8)).toBeCloseTo(1 / 8, 12);
    expect(learnabilityReward(0)).toBe(0);
    expect(learnabilityReward(1)).toBe(0);
    expect(learnabilityReward(0, { official: true })).toBe(-0.5);
    expect(learnabilityReward(1, { official: true })).toBe(-0.5);
    expect(learnabilityReward(0.5, { official: true })).toBe(0.5);
    expect(() => learnabilityReward(1.5)).toThrow(RangeError);
    expect(() => learnabilityReward(Number.NaN)).toThrow(RangeError);
  });

  test("solve rate over G solver checks", () => {
    expect(solveRate([{ correct: true }, { correct: false }, { correct: false }, { correct: true }])).toBe(0.5);
    expect(solveRate([])).toBe(0);
  });

  test("invalid proposals get 0, official -1", () => {
    expect(invalidProposalReward()).toBe(0);
    expect(invalidProposalReward({ official: true })).toBe(-1);
  });

  test("solver gets 1 or 0; official: -0.5 wrong but formatted, -1 format error", () => {
    expect(solverReward({ correct: true, formatted: true })).toBe(1);
    expect(solverReward({ correct: false, formatted: true })).toBe(0);
    expect(solverReward({ correct: false, formatted: false })).toBe(0);
    expect(solverReward({ correct: true, formatted: true }, { official: true })).toBe(1);
    expect(solverReward({ correct: false, formatted: true }, { official: true })).toBe(-0.5);
    expect(solverReward({ correct: false, formatted: false }, { official: true })).toBe(-1);
  });
});

describe("TRR++ advantages", () => {
  test("there are 6 task x role buckets", () => {
    expect(new Set(AZR_TASK_TYPES.flatMap((t) => AZR_ROLES.map((r) => azrBucket(t, r)))).size).toBe(6);
  });

  test("each bucket is normalised by its own mean and population std", () => {
    const rewards = [1, 0, 1, 0, 10, 20, 30];
    const buckets = ["a", "a", "a", "a", "b", "b", "b"];
    const adv = trrAdvantages(rewards, buckets);
    // Bucket a: mean 0.5, std 0.5 -> ±1. Bucket b: mean 20, population std sqrt(200/3).
    const sb = Math.sqrt(200 / 3);
    const want = [1, -1, 1, -1, -10 / sb, 0, 10 / sb];
    adv.forEach((a, i) => expect(a).toBeCloseTo(want[i]!, 5));
    // Pooled normalisation would differ: bucket b's scale must not leak into bucket a.
    expect(adv[0]).toBeCloseTo(1, 5);
  });

  test("interleaved buckets give the same advantages as buckets computed apart", () => {
    const rewards = [0.2, 1, 0.6, 0, 0.9, 1];
    const buckets = ["deduction/propose", "abduction/solve", "deduction/propose", "abduction/solve", "deduction/propose", "abduction/solve"];
    const adv = trrAdvantages(rewards, buckets);
    const ded = trrAdvantages([0.2, 0.6, 0.9], ["x", "x", "x"]);
    expect([adv[0], adv[2], adv[4]]).toEqual(ded);
  });

  test("a zero-variance bucket gives exactly 0 while others still get signal", () => {
    const adv = trrAdvantages([0.1, 0.1, 0.1, 1, 0], ["z", "z", "z", "s", "s"]);
    expect(adv.slice(0, 3)).toEqual([0, 0, 0]);
    expect(adv[3]).toBeCloseTo(1, 5);
    expect(trrAdvantages([5], ["only"])).toEqual([0]);
    expect(trrAdvantages([], [])).toEqual([]);
  });

  test("mismatched lengths are an error", () => {
    expect(() => trrAdvantages([1, 2], ["a"])).toThrow(RangeError);
  });
});
