import { expect, setDefaultTimeout, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import { predictorFactory } from "../../actors/index.ts";
import { predictorMachine } from "../../actors/predictor.ts";
import type { Predictions, SampleRequest, SampleResponse } from "../../src/protocol/messages.ts";
import type { Inbound, Outbound } from "../../src/runtime/host.ts";
import { taskOf } from "../../src/tasks/registry.ts";
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

// Pure transitions: the machine's decisions, without running its actions or hosting it.

const pureConfig = { ...SMALL, window: 2, predSamples: 5 };
const machine = predictorMachine({ config: pureConfig, work: taskOf(pureConfig).predictorWork });
const requestsOf = (actions: { type: string; params?: unknown }[]) =>
  actions.filter((a) => a.type === "sendRequests").flatMap((a) => (a.params as { requests: Outbound<SampleRequest>[] }).requests);
const fromGenerator = (p: number, n: number) => ({ ...masks(p, n), id: `m${p}`, from: "generator" }) as Inbound<Masks>;

test("with the window full, a masked paragraph waits in the predictor's queue and asks for nothing", () => {
  let [s] = initialTransition(machine);
  const sent: Outbound<SampleRequest>[] = [];
  for (let p = 0; p < 3; p++) {
    const [next, actions] = transition(machine, s, fromGenerator(p, 2));
    sent.push(...requestsOf(actions));
    s = next;
  }
  expect(sent.map((r) => r.id)).toEqual(["000000|predictor|sample.request|s0/p0", "000000|predictor|sample.request|s0/p1"]);
  expect(sent[0]!.n).toBe(5);
  expect(s.value).toBe("predicting");
  expect(s.context.inFlight).toBe(2);
  expect(s.context.queue.map((w) => w.group)).toEqual(["s0/p2"]);
  expect(s.context.pending).toEqual({ "000000|predictor|sample.request|s0/p0": "s0/p0", "000000|predictor|sample.request|s0/p1": "s0/p1" });
});

test("a predictor answer forwards the predictions, then the freed slot asks for the queued paragraph", () => {
  let [s] = initialTransition(machine);
  for (let p = 0; p < 3; p++) [s] = transition(machine, s, fromGenerator(p, 1));
  const [s2, actions] = transition(machine, s, {
    type: "sample.response", request: "000000|predictor|sample.request|s0/p0", step: 0, version: 0, role: "predictor", id: "a0", from: "learner",
    results: [{ key: "s0/p0/g0", completions: [{ text: "\\boxed{x}" }] }],
  } as Inbound<SampleResponse>);
  expect(actions.map((a) => a.type)).toEqual(["forwardPredictions", "sendRequests"]);
  expect(requestsOf(actions).map((r) => r.id)).toEqual(["000000|predictor|sample.request|s0/p2"]);
  expect(s2.context.queue).toEqual([]);
  expect(Object.values(s2.context.pending)).toEqual(["s0/p1", "s0/p2"]);
});

test("a paragraph with no usable mask is passed on by the predictor without touching the window", () => {
  const [s0] = initialTransition(machine);
  const [s1, actions] = transition(machine, s0, fromGenerator(3, 0));
  expect(actions.map((a) => a.type)).toEqual(["passEmpty"]);
  expect(s1.value).toBe("idle");
  expect(s1.context).toEqual(s0.context);
});
