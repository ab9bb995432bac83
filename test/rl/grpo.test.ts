import { describe, expect, test } from "bun:test";
import { DEFAULT_GRPO, grpoConfig } from "../../src/rl/grpo.ts";

describe("grpoConfig", () => {
  test("defaults are DAPO's clip-higher epsilons", () => {
    expect(DEFAULT_GRPO.epsLow).toBe(0.2);
    expect(DEFAULT_GRPO.epsHigh).toBe(0.28);
  });

  test("merges over defaults and rejects nonsense", () => {
    expect(grpoConfig({ epsHigh: 0.3 }).epsHigh).toBe(0.3);
    expect(grpoConfig().dropZeroVariance).toBe(true);
    expect(() => grpoConfig({ epsLow: 1.5 })).toThrow(/epsLow/);
  });
});
