import { expect, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import { DEFAULT_RUN_CONFIG } from "../../../src/runtime/config.ts";
import { rlpGeneratorMachine, rlpStep } from "../../../src/tasks/rlp/generator.machine.ts";

const corpus = ["one two three four five six seven eight nine ten eleven twelve", "short text"];
const deps = { config: { ...DEFAULT_RUN_CONFIG, task: "rlp", passages: 2, steps: 3 }, corpus, positions: 2, minContext: 4 };

test("a step's contexts and targets are a pure function of the seed and step, one pair per paragraph", () => {
  const a = rlpStep(deps, 1, 1);
  expect(rlpStep(deps, 1, 1)).toEqual(a);
  expect(a).toHaveLength(2);
  for (const { contexts, targets } of a) {
    expect(contexts.group).toBe(targets.group);
    expect(contexts.items.map((i) => i.key)).toEqual(targets.items.map((i) => i.key));
    for (const t of targets.items) expect(corpus.some((p) => p.startsWith(t.context + t.target))).toBe(true);
  }
  // A paragraph too short for the minimum context sends empty messages (its scored message is empty too).
  expect(a.some(({ targets }) => targets.items.length === 0)).toBe(true);
});

test("as a pure transition: a policy version sends the step's messages; the final one finishes", () => {
  const m = rlpGeneratorMachine(deps);
  const [s0] = initialTransition(m);
  const [s1, actions] = transition(m, s0, { type: "policy.version", step: 0, version: 0, digest: "d", id: "v0", from: "learner" });
  expect(actions.map((a) => a.type)).toContain("send");
  expect(s1.value).toBe("cutting");
  const [s2, none] = transition(m, s1, { type: "policy.version", step: 3, version: 3, digest: "d", id: "v3", from: "learner" });
  expect(s2.status).toBe("done");
  expect(none.map((a) => a.type)).not.toContain("send");
});
