import { expect, setDefaultTimeout, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import { rewardFactory } from "../../actors/index.ts";
import { rewardMachine } from "../../src/tasks/pretrainzero/reward.machine.ts";
import { pretrainZeroScorer } from "../../src/tasks/pretrainzero/task.ts";
import type { Predictions, Scored } from "../../src/protocol/messages.ts";
import type { Answers } from "../../src/tasks/pretrainzero/messages.ts";
import { SMALL } from "../helpers/configs.ts";
import { hostAlone } from "../helpers/harness.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const answers: Answers = {
  type: "answers", step: 0, passage: "s0/p0",
  answers: [
    { maskId: "s0/p0/g0", span: "Paris" },
    { maskId: "s0/p0/g1", span: null, invalid: "no-mask" },
    { maskId: "s0/p0/g2", span: "1958" },
  ],
};
const predictions: Predictions = {
  type: "predictions", step: 0, passage: "s0/p0",
  groups: [
    { maskId: "s0/p0/g0", completions: ["\\boxed{Paris}", "\\boxed{Lyon}", "\\boxed{ Paris }", "no box"] },
    { maskId: "s0/p0/g2", completions: ["\\boxed{1959}", "\\boxed{1960}", "\\boxed{1957}", "\\boxed{x}"] },
  ],
};

for (const order of ["answers first", "predictions first"] as const) {
  test(`scores a paragraph once both halves arrive (${order})`, async () => {
    const h = hostAlone("reward", rewardFactory, { ...SMALL, predSamples: 4 });
    const [a, b] = order === "answers first" ? [answers, predictions] : [predictions, answers];
    h.send(a.type === "answers" ? "generator" : "predictor", "x1", a);
    await h.settle();
    expect(h.sent).toEqual([]);
    h.send(b.type === "answers" ? "generator" : "predictor", "x2", b);
    await h.settle();
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.to).toBe("learner");
    const s = h.sent[0]!.msg as Scored;
    expect(s.groups[0]).toEqual({ role: "generator", key: "s0/p0", rewards: [0.5, 0, 0], spanWords: [1, 0, 1], invalid: 1 });
    expect(s.groups[1]).toEqual({ role: "predictor", key: "s0/p0/g0", rewards: [1, 0, 1, 0], acc: 0.5 });
    expect(s.groups[2]).toEqual({ role: "predictor", key: "s0/p0/g2", rewards: [0, 0, 0, 0], acc: 0 });
    h.stop();
  });
}

test("as a pure transition: answers alone are held, not scored", () => {
  const machine = rewardMachine({ score: pretrainZeroScorer(SMALL) });
  const [s0] = initialTransition(machine);
  const [s1, actions] = transition(machine, s0, { ...answers, id: "a", from: "generator" });
  expect(s1.value).toBe("joining");
  expect(Object.keys(s1.context.answers)).toEqual(["s0/p0"]);
  expect(actions.map((a) => a.type)).not.toContain("scoreAndSend");
});

test("as a pure transition: the second half scores the paragraph once and forgets it", () => {
  const machine = rewardMachine({ score: pretrainZeroScorer(SMALL) });
  const [s0] = initialTransition(machine);
  const [s1] = transition(machine, s0, { ...predictions, id: "p", from: "predictor" });
  const [s2, actions] = transition(machine, s1, { ...answers, id: "a", from: "generator" });
  expect(actions.map((a) => a.type)).toEqual(["scoreAndSend"]);
  // The action sees both halves; the snapshot after it holds neither.
  expect(Object.keys(actions[0]!.info.context.answers)).toEqual(["s0/p0"]);
  expect(s2.context).toMatchObject({ answers: {}, predictions: {} });
});
