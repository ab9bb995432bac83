import { expect, setDefaultTimeout, test } from "bun:test";
import { philox4x32, rng } from "../../src/runtime/rng.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const hex = (a: Uint32Array) => [...a].map((x) => x.toString(16).padStart(8, "0")).join(" ");

test("Philox4x32-10 matches the Random123 known-answer vectors", () => {
  expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toBe("6627e8d5 e169c58d bc57ac4c 9b00dbd8");
  expect(hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]))).toBe("408f276d 41c83b0e a20bc7c6 6d5451fd");
  expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe("d16cfe09 94fdcceb 5001e420 24126ea1");
});

test("a stream is a pure function of its key, and each key field changes it", () => {
  const key = { seed: 1, step: 2, role: "predictor", item: "s2/p3/g1", sample: 4 };
  const draw = (k: typeof key) => Array.from({ length: 6 }, ((r) => () => r.float())(rng(k)));
  expect(draw(key)).toEqual(draw({ ...key }));
  for (const change of [{ seed: 2 }, { step: 3 }, { role: "generator" }, { item: "s2/p3/g2" }, { sample: 5 }]) {
    expect(draw({ ...key, ...change })).not.toEqual(draw(key));
  }
});

test("floats are uniform in [0, 1) and ints cover their range", () => {
  const r = rng({ seed: 9, step: 0, role: "t", item: 0 });
  const n = 20000;
  let sum = 0;
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    const x = r.float();
    expect(x >= 0 && x < 1).toBe(true);
    sum += x;
    counts[r.int(10)]++;
  }
  expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  for (const c of counts) expect(Math.abs(c / n - 0.1)).toBeLessThan(0.01);
  expect(r.permutation(50).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
});
