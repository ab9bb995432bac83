import { expect, setDefaultTimeout, test } from "bun:test";
import { learningRate, type LrSchedule } from "../../src/rl/schedule.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const cos: LrSchedule = { kind: "cosine", lr: 1e-3, warmup: 10, total: 110, minRatio: 0.1 };

test("warm-up rises linearly to the peak", () => {
  expect(learningRate(0, cos)).toBeCloseTo(1e-4);
  expect(learningRate(9, cos)).toBeCloseTo(1e-3);
});

test("cosine decays from the peak to the floor and stays there", () => {
  expect(learningRate(10, cos)).toBeCloseTo(1e-3);
  expect(learningRate(60, cos)).toBeCloseTo(0.55e-3);
  expect(learningRate(110, cos)).toBeCloseTo(1e-4);
  expect(learningRate(500, cos)).toBeCloseTo(1e-4);
  for (let s = 11; s < 110; s++) expect(learningRate(s, cos)).toBeLessThanOrEqual(learningRate(s - 1, cos));
});

test("constant stays at the peak after warm-up", () => {
  expect(learningRate(1000, { ...cos, kind: "constant" })).toBe(1e-3);
});
