// The optional KL penalty (k3 against a frozen reference): zero while the policy equals the
// reference, positive once it has moved, and part of the loss only when its weight is non-zero.

import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { loadModel } from "../../src/model/model.ts";

setDefaultTimeout(60_000);

const dir = join(import.meta.dir, "../../fixtures/tiny-llama");

test("KL to the reference is zero at the start and grows as training moves the policy", async () => {
  const policy = loadModel(dir, { deterministic: true });
  const reference = loadModel(dir, { deterministic: true });
  const ids = [659, 12, 40, 7, 99, 123, 45, 301, 22, 8];
  const start = 4;
  const [ref] = await reference.logprobs([ids]);
  const refLp = ref!.logprobs.subarray(start - 1);
  const seq = { ids, completionStart: start, advantage: 1, behaviourLogprobs: refLp, referenceLogprobs: refLp };
  const first = await policy.trainStep([seq], { lr: 0.05, epsLow: 0.2, epsHigh: 0.28, klCoef: 0 });
  expect(Math.abs(first.kl)).toBeLessThan(1e-5);
  let last = first;
  for (let i = 0; i < 4; i++) {
    const [now] = await policy.logprobs([ids]);
    last = await policy.trainStep([{ ...seq, behaviourLogprobs: now!.logprobs.subarray(start - 1) }], { lr: 0.05, epsLow: 0.2, epsHigh: 0.28, klCoef: 0 });
  }
  expect(last.kl).toBeGreaterThan(1e-4);
  // With a weight, the same state's loss includes the penalty.
  const [now] = await policy.logprobs([ids]);
  const s0 = policy.snapshot();
  const without = await policy.trainStep([{ ...seq, behaviourLogprobs: now!.logprobs.subarray(start - 1) }], { lr: 0, epsLow: 0.2, epsHigh: 0.28, klCoef: 0 });
  policy.restore(s0);
  const withKl = await policy.trainStep([{ ...seq, behaviourLogprobs: now!.logprobs.subarray(start - 1) }], { lr: 0, epsLow: 0.2, epsHigh: 0.28, klCoef: 2 });
  expect(withKl.loss - without.loss).toBeCloseTo(2 * withKl.kl, 4);
  await policy.release();
  await reference.release();
});
