import { expect, setDefaultTimeout, test } from "bun:test";
import { learnerFactory } from "../../actors/index.ts";
import type { PolicyVersion, SampleResponse } from "../../src/protocol/messages.ts";
import { generatorPrompt, predictorPrompt } from "../../src/tasks/pretrainzero/prompts.ts";
import { factbookPassages } from "../../src/data/factbook.ts";
import { masksForPassage } from "../../src/tasks/pretrainzero/score.ts";
import { SMALL } from "../helpers/configs.ts";
import { hostAlone } from "../helpers/harness.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const config = { ...SMALL, passages: 1, genSamples: 2, predSamples: 3 };

test("announces version 0, serves samples, and trains the moment the last paragraph is scored", async () => {
  const h = hostAlone("learner", learnerFactory, config);
  await h.settle();
  expect(h.sent.map((e) => e.msg.type)).toEqual(["policy.version"]);
  expect((h.sent[0]!.msg as PolicyVersion).version).toBe(0);
  const passage = factbookPassages()[0]!;
  h.send("generator", "req-g", { type: "sample.request", step: 0, version: 0, role: "generator", n: 2, prompts: [{ key: "s0/p0", text: generatorPrompt(passage) }] });
  await h.settle();
  const gen = h.sent[1]!;
  expect(gen.to).toBe("generator");
  const res = gen.msg as SampleResponse;
  expect(res.request).toBe("req-g");
  expect(res.results[0]!.completions).toHaveLength(2);
  h.send("predictor", "req-p", {
    type: "sample.request", step: 0, version: 0, role: "predictor", n: 3,
    prompts: masksForPassage({ passageKey: "s0/p0", passage, completions: res.results[0]!.completions.map((c) => c.text), seed: 1, step: 0 })
      .map((m) => ({ key: m.maskKey, text: predictorPrompt(m.masked!) })),
  });
  await h.settle();
  expect(h.sent[2]!.to).toBe("predictor");
  expect(h.checkpoints).toEqual([]);
  h.send("reward", "scored", {
    type: "scored", step: 0, passage: "s0/p0",
    groups: [
      { role: "generator", key: "s0/p0", rewards: [0.5, 0], spanWords: [1, 2], invalid: 0 },
      { role: "predictor", key: "s0/p0/g0", rewards: [1, 0, 0], acc: 1 / 3 },
      { role: "predictor", key: "s0/p0/g1", rewards: [0, 0, 0], acc: 0 },
    ],
  });
  await h.settle();
  expect(h.checkpoints).toEqual([1]);
  const v1 = h.sent.at(-1)!.msg as PolicyVersion;
  expect(v1.type).toBe("policy.version");
  expect(v1.version).toBe(1);
  expect(v1.step).toBe(1);
  expect(v1.digest).not.toBe((h.sent[0]!.msg as PolicyVersion).digest);
  expect(v1.stats!.zeroVarFrac).toBe(0.5);
  expect(v1.stats!.predAcc).toBeCloseTo(1 / 6);
  expect(h.failures).toEqual([]);
  h.stop();
});

test("a scored paragraph for a step other than the current one is a failure, not silently mixed in", async () => {
  const h = hostAlone("learner", learnerFactory, config);
  await h.settle();
  h.send("reward", "bad", { type: "scored", step: 5, passage: "s5/p0", groups: [] });
  await h.settle();
  expect(h.failures.join()).toMatch(/step 5, learner is at 0/);
});
