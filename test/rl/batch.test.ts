import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ScoredGroup } from "../../src/protocol/messages.ts";
import { assembleBatch, type Rollout } from "../../src/rl/batch.ts";
import { DEFAULT_GRPO } from "../../src/rl/grpo.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

function rollout(n: number, tag: string): Rollout {
  return { prompt: `prompt ${tag}`, completions: Array.from({ length: n }, (_, i) => ({ text: `${tag}#${i}` })) };
}

const rollouts = new Map<string, Rollout>([
  ["s0/p1", rollout(2, "p1")],
  ["s0/p0", rollout(2, "p0")],
  ["s0/p0/g0", rollout(4, "p0g0")],
  ["s0/p0/g1", rollout(4, "p0g1")],
  ["s0/p1/g0", rollout(4, "p1g0")],
]);

const scored: ScoredGroup[] = [
  { role: "predictor", key: "s0/p1/g0", rewards: [0, 0, 0, 0], acc: 0 },
  { role: "generator", key: "s0/p1", rewards: [0, 0], spanWords: [0, 3], invalid: 1 },
  { role: "predictor", key: "s0/p0/g1", rewards: [1, 1, 1, 1], acc: 1 },
  { role: "generator", key: "s0/p0", rewards: [0.75, 0], spanWords: [1, 2], invalid: 0 },
  { role: "predictor", key: "s0/p0/g0", rewards: [1, 0, 0, 0], acc: 0.25 },
];

describe("assembleBatch", () => {
  const base = { step: 0, version: 0, rollouts, config: DEFAULT_GRPO, trainRoles: ["generator", "predictor"] as const };

  test("drops zero-variance groups and orders the rest by role then key", () => {
    const { batch } = assembleBatch({ ...base, scored });
    expect(batch.groups.map((g) => `${g.role}:${g.key}`)).toEqual(["generator:s0/p0", "predictor:s0/p0/g0"]);
    expect(batch.groups[1]!.completions[0]!.text).toBe("p0g0#0");
    expect(batch.groups[1]!.prompt).toBe("prompt p0g0");
    expect(batch.groups[1]!.advantages[0]!).toBeCloseTo(0.75 / Math.sqrt(0.1875), 5);
  });

  test("the batch does not depend on the order scores arrive in", () => {
    const a = assembleBatch({ ...base, scored });
    const b = assembleBatch({ ...base, scored: [...scored].reverse() });
    expect(b).toEqual(a);
  });

  test("keeps zero-variance groups, with zero advantages, when dynamic sampling is off", () => {
    const { batch, stats } = assembleBatch({ ...base, scored, config: { ...DEFAULT_GRPO, dropZeroVariance: false } });
    expect(batch.groups.length).toBe(5);
    expect(batch.groups.find((g) => g.key === "s0/p0/g1")!.advantages).toEqual([0, 0, 0, 0]);
    expect(stats.trained).toBe(16);
  });

  test("trainRoles leaves out whole roles but stats still cover them", () => {
    const { batch, stats } = assembleBatch({ ...base, scored, trainRoles: ["predictor"] });
    expect(batch.groups.map((g) => g.key)).toEqual(["s0/p0/g0"]);
    expect(stats.episodes).toBe(4);
    expect(stats.genReward).toBeCloseTo(0.75 / 4, 12);
  });

  test("computes the step statistics", () => {
    const { stats } = assembleBatch({ ...base, scored });
    expect(stats).toEqual({
      genReward: 0.75 / 4,
      predAcc: (0 + 1 + 0.25) / 3,
      zeroVarFrac: 2 / 3,
      genZeroVarFrac: 1 / 2,
      spanWords: 2,
      invalidFrac: 1 / 4,
      trained: 6,
      episodes: 4,
    });
  });

  test("a scored group without a rollout is an error naming the key", () => {
    expect(() => assembleBatch({ ...base, scored: [...scored, { role: "predictor", key: "s0/p9/g0", rewards: [1, 0, 0, 0] }] })).toThrow(
      /s0\/p9\/g0/,
    );
  });

  test("a reward count that differs from the completion count is an error naming the key", () => {
    expect(() => assembleBatch({ ...base, scored: [{ role: "predictor", key: "s0/p0/g0", rewards: [1, 0] }] })).toThrow(
      /s0\/p0\/g0.*2 rewards for 4 completions/,
    );
  });

  test("a group scored twice is an error", () => {
    expect(() => assembleBatch({ ...base, scored: [...scored, scored[0]!] })).toThrow(/scored twice/);
  });
});
