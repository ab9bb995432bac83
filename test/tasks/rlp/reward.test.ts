import { expect, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import type { Predictions } from "../../../src/protocol/messages.ts";
import { rng } from "../../../src/runtime/rng.ts";
import type { Targets } from "../../../src/tasks/rlp/messages.ts";
import { rlpCut } from "../../../src/tasks/rlp/positions.ts";
import { informationGain, thoughtPrompt, withThought } from "../../../src/tasks/rlp/reward.ts";
import { rlpRewardMachine, rlpScored, scoreRequests } from "../../../src/tasks/rlp/reward.machine.ts";

const targets: Targets = { type: "targets", step: 2, version: 2, group: "s2/p0", items: [{ key: "s2/p0/t0", context: "The capital of France is", target: " Paris" }] };
const predictions: Predictions = { type: "predictions", step: 2, passage: "s2/p0", groups: [{ maskId: "s2/p0/t0", completions: ["the city of light</think>", "no idea"] }] };

test("a thought is scored after the context and the closed thought; the baseline after the bare context", () => {
  expect(thoughtPrompt("abc")).toBe("abc <think>");
  expect(withThought("abc", "x y</think> tail")).toBe("abc <think>x y</think>");
  expect(withThought("abc", "unfinished")).toBe("abc <think>unfinished</think>");
  const r = scoreRequests(targets, predictions);
  expect(r.policy.weights).toBe("policy");
  expect(r.policy.items).toEqual([
    { key: "s2/p0/t0/c0", context: "The capital of France is <think>the city of light</think>", target: " Paris" },
    { key: "s2/p0/t0/c1", context: "The capital of France is <think>no idea</think>", target: " Paris" },
  ]);
  expect(r.ema).toMatchObject({ weights: "ema", version: 2, items: [{ key: "s2/p0/t0", context: "The capital of France is", target: " Paris" }] });
});

test("the reward is each thought's log-probability of the next word minus the no-think baseline's", () => {
  expect(informationGain([-1, -4], -3)).toEqual([2, -1]);
  const s = rlpScored({
    targets,
    predictions,
    policy: [
      { key: "s2/p0/t0/c0", logprob: -0.5, tokens: 1 },
      { key: "s2/p0/t0/c1", logprob: -3.5, tokens: 1 },
    ],
    ema: [{ key: "s2/p0/t0", logprob: -2, tokens: 1 }],
  });
  expect(s).toEqual({ type: "scored", step: 2, passage: "s2/p0", groups: [{ role: "predictor", key: "s2/p0/t0", rewards: [1.5, -1.5] }] });
});

test("as a pure transition: the second half of a paragraph asks the learner for both log-prob sets, the first half only waits", () => {
  const m = rlpRewardMachine();
  const [s0] = initialTransition(m);
  const [s1, a1] = transition(m, s0, { ...targets, id: "t", from: "generator" });
  expect(a1.filter((a) => a.type === "requestScores")).toHaveLength(0);
  const [s2, a2] = transition(m, s1, { ...predictions, id: "p", from: "predictor" });
  expect(a2.map((a) => a.type)).toContain("requestScores");
  expect(Object.values(s2.context.pending).map((p) => p.weights).sort()).toEqual(["ema", "policy"]);
});

test("an RLP position leaves at least the minimum context and predicts the next word with its space", () => {
  const passage = "a b c d e f g h i j";
  for (let i = 0; i < 20; i++) {
    const cut = rlpCut(passage, rng({ seed: 3, step: 0, role: "t", item: "p", sample: i }), 4)!;
    expect(cut.context.split(" ").length).toBeGreaterThanOrEqual(4);
    expect(passage.startsWith(cut.context + cut.target)).toBe(true);
  }
  expect(rlpCut("a b c", rng({ seed: 3, step: 0, role: "t", item: "p" }), 4)).toBeNull();
});
