import { expect, setDefaultTimeout, test } from "bun:test";
import { predictorFactory } from "../../actors/index.ts";
import type { Predictions, SampleRequest } from "../../src/protocol/messages.ts";
import type { Masks } from "../../src/tasks/pretrainzero/messages.ts";
import { maskedOfPredictorPrompt } from "../../src/tasks/pretrainzero/prompts.ts";
import { SMALL } from "../helpers/configs.ts";
import { hostAlone } from "../helpers/harness.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const masks = (p: number, n: number): Masks => ({
  type: "masks", step: 0, version: 0, passage: `s0/p${p}`,
  masks: Array.from({ length: n }, (_, i) => ({ maskId: `s0/p${p}/g${i}`, masked: `text ${p}.${i} [mask] end` })),
});

test("asks for G predictions per mask, never more than the window at once", async () => {
  const h = hostAlone("predictor", predictorFactory, { ...SMALL, window: 2, predSamples: 5 });
  for (let p = 0; p < 4; p++) h.send("generator", `m${p}`, masks(p, 2));
  await h.settle();
  const reqs = h.sent.filter((e) => e.msg.type === "sample.request");
  expect(reqs).toHaveLength(2);
  const r = reqs[0]!.msg as SampleRequest;
  expect(r.n).toBe(5);
  expect(r.role).toBe("predictor");
  expect(r.prompts.map((p) => maskedOfPredictorPrompt(p.text))).toEqual(["text 0.0 [mask] end", "text 0.1 [mask] end"]);
  // One answer frees one slot.
  h.send("learner", "a0", { type: "sample.response", request: reqs[0]!.id, step: 0, version: 0, role: "predictor", results: r.prompts.map((p) => ({ key: p.key, completions: [{ text: "\\boxed{x}" }] })) });
  await h.settle();
  expect(h.sent.filter((e) => e.msg.type === "sample.request")).toHaveLength(3);
  const preds = h.sent.find((e) => e.msg.type === "predictions")!;
  expect(preds.to).toBe("reward");
  expect((preds.msg as Predictions).passage).toBe("s0/p0");
  expect((preds.msg as Predictions).groups.map((g) => g.completions)).toEqual([["\\boxed{x}"], ["\\boxed{x}"]]);
  h.stop();
});

test("passes a paragraph with no usable mask straight to the reward actor", async () => {
  const h = hostAlone("predictor", predictorFactory, SMALL);
  h.send("generator", "m", masks(3, 0));
  await h.settle();
  expect(h.sent).toHaveLength(1);
  expect(h.sent[0]!.to).toBe("reward");
  expect(h.sent[0]!.msg).toEqual({ type: "predictions", step: 0, passage: "s0/p3", groups: [] });
  h.stop();
});
