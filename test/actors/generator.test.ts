import { expect, setDefaultTimeout, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import { generatorFactory } from "../../actors/index.ts";
import type { SampleRequest, Message, PolicyVersion, SampleResponse } from "../../src/protocol/messages.ts";
import type { Inbound, Outbound } from "../../src/runtime/host.ts";
import { generatorMachine } from "../../src/tasks/pretrainzero/generator.machine.ts";
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

// Pure transitions: the machine's decisions, without running its actions or hosting it.

const pureConfig = { ...SMALL, window: 2, chunk: 2, passages: 6, genSamples: 2 };
const corpus = Array.from({ length: 8 }, (_, i) => `Paragraph ${i} has a capital city named Alphaville and a river named Betaflow.`);
const policyMachine = () => generatorMachine({ config: pureConfig, corpus, source: { kind: "policy" } });
const requestsOf = (actions: { type: string; params?: unknown }[]) =>
  actions.filter((a) => a.type === "sendRequests").flatMap((a) => (a.params as { requests: Outbound<SampleRequest>[] }).requests);

test("on a policy version, the generator asks for at most the window of chunks", () => {
  const machine = policyMachine();
  const [s0] = initialTransition(machine);
  const [s1, actions] = transition(machine, s0, { ...version0, id: "v0", from: "learner" } as Inbound<PolicyVersion>);
  expect(s1.value).toBe("sampling");
  expect(s1.context.chunks).toHaveLength(3);
  const reqs = requestsOf(actions);
  expect(reqs.map((r) => r.id)).toEqual(["000000|generator|sample.request|c0", "000000|generator|sample.request|c1"]);
  expect(reqs.every((r) => r.prompts.length === 2 && r.n === 2 && r.role === "generator")).toBe(true);
  expect(s1.context.inFlight).toBe(2);
});

test("on a sample response, the generator sends the paragraph's masks before it asks for the next chunk", () => {
  const machine = policyMachine();
  const [s0] = initialTransition(machine);
  const [s1, first] = transition(machine, s0, { ...version0, id: "v0", from: "learner" } as Inbound<PolicyVersion>);
  const req = requestsOf(first)[0]!;
  const [s2, actions] = transition(machine, s1, {
    type: "sample.response", request: req.id, step: 0, version: 0, role: "generator", id: "r0", from: "learner",
    results: req.prompts.map((p) => ({ key: p.key, completions: [{ text: "\\mask{Alphaville}" }, { text: "none" }] })),
  } as Inbound<SampleResponse>);
  expect(actions.map((a) => a.type)).toEqual(["emitMasks", "sendRequests"]);
  expect(requestsOf(actions).map((r) => r.id)).toEqual(["000000|generator|sample.request|c2"]);
  expect(s2.context).toMatchObject({ inFlight: 2, nextChunk: 3, answered: 1 });
});

test("a sample response for another step is ignored by the generator", () => {
  const machine = policyMachine();
  const [s0] = initialTransition(machine);
  const [s1] = transition(machine, s0, { ...version0, id: "v0", from: "learner" } as Inbound<PolicyVersion>);
  const [s2, actions] = transition(machine, s1, {
    type: "sample.response", request: "old", step: 5, version: 5, role: "generator", results: [], id: "r", from: "learner",
  } as Inbound<SampleResponse>);
  expect(actions).toEqual([]);
  expect(s2.context).toEqual(s1.context);
});
