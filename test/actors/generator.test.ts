import { expect, setDefaultTimeout, test } from "bun:test";
import { generatorFactory } from "../../actors/index.ts";
import type { SampleRequest, Message } from "../../src/protocol/messages.ts";
import type { Masks, Answers } from "../../src/tasks/pretrainzero/messages.ts";
import { passageOfGeneratorPrompt } from "../../src/tasks/pretrainzero/prompts.ts";
import { SMALL } from "../helpers/configs.ts";
import { hostAlone } from "../helpers/harness.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const version0: Message = { type: "policy.version", step: 0, version: 0, digest: "d0" };

test("asks for no more than the window of sample requests before any answer", async () => {
  const h = hostAlone("generator", generatorFactory, { ...SMALL, window: 2, chunk: 2, passages: 6 });
  h.send("learner", "v0", version0);
  await h.settle();
  const reqs = h.sent.filter((e) => e.msg.type === "sample.request");
  expect(reqs).toHaveLength(2);
  expect(reqs.every((e) => e.to === "learner" && (e.msg as SampleRequest).prompts.length === 2)).toBe(true);
  h.stop();
});

test("sends masked paragraphs to the predictor and the hidden spans only to the reward actor", async () => {
  const h = hostAlone("generator", generatorFactory, { ...SMALL, window: 1, chunk: 1, passages: 1, genSamples: 3 });
  h.send("learner", "v0", version0);
  await h.settle();
  const req = h.sent[0]!;
  const msg = req.msg as SampleRequest;
  const passage = passageOfGeneratorPrompt(msg.prompts[0]!.text);
  const word = passage.split(/\s+/).find((w) => /^[A-Za-z]{6,}$/.test(w))!;
  h.send("learner", "r0", {
    type: "sample.response", request: req.id, step: 0, version: 0, role: "generator",
    results: [{ key: msg.prompts[0]!.key, completions: [{ text: `\\mask{${word}}` }, { text: "no mask here" }, { text: "\\mask{not in the text at all zzz}" }] }],
  });
  await h.settle();
  const masks = h.sent.find((e) => e.msg.type === "masks")!;
  const answers = h.sent.find((e) => e.msg.type === "answers")!;
  expect(masks.to).toBe("predictor");
  expect(answers.to).toBe("reward");
  const m = masks.msg as Masks;
  expect(m.masks).toHaveLength(1);
  expect(m.masks[0]!.masked).toContain("[mask]");
  expect(m.masks[0]!.masked).not.toContain(` ${word} `);
  expect(JSON.stringify(m)).not.toContain(`"${word}"`);
  const a = answers.msg as Answers;
  expect(a.answers.map((x) => x.span)).toEqual([word, null, null]);
  expect(a.answers.map((x) => x.invalid)).toEqual([undefined, "no-mask", "not-in-passage"]);
  h.stop();
});

test("stops asking once the final version is announced", async () => {
  const h = hostAlone("generator", generatorFactory, SMALL);
  h.send("learner", "vN", { type: "policy.version", step: SMALL.steps, version: SMALL.steps, digest: "dN" });
  await h.settle();
  expect(h.sent).toEqual([]);
  h.stop();
});
