import { expect, test } from "bun:test";
import type { Message } from "../../../src/protocol/messages.ts";
import { AzrObserver } from "../../../src/tasks/azr/observer.ts";

const scored = (step: number, groups: object[]): Message => ({ type: "scored", step, passage: `c${groups.length}`, groups }) as Message;

test("valid-proposal and solve rates per task type, overall, and absent where nothing was solved", () => {
  const o = new AzrObserver();
  o.see(scored(2, [
    { role: "generator", key: "d0", rewards: [0, 0.5, 0, 0], invalid: 3, taskType: "deduction" },
    { role: "predictor", key: "d0/g1", rewards: [1, 0, 0, 0], acc: 0.25, taskType: "deduction" },
  ]));
  o.see(scored(2, [{ role: "generator", key: "i0", rewards: [0, 0, 0, 0], invalid: 4, taskType: "induction" }]));
  o.see(scored(3, [{ role: "generator", key: "a0", rewards: [0], invalid: 0, taskType: "abduction" }]));
  expect(o.take(2)).toEqual({ azrValidDeduction: 0.25, azrSolveDeduction: 0.25, azrValidInduction: 0, azrValidFrac: 1 / 8, azrSolveRate: 0.25 });
  expect(o.take(2)).toEqual({});
  expect(o.take(3)).toEqual({ azrValidAbduction: 1, azrValidFrac: 1 });
});
