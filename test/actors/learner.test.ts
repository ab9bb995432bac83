import { expect, setDefaultTimeout, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import { learnerFactory } from "../../actors/index.ts";
import { learnerMachine } from "../../actors/learner.ts";
import type { ActorId, PolicyVersion, SampleRequest, SampleResponse, Scored, StepStats } from "../../src/protocol/messages.ts";
import type { LearnerBackend } from "../../src/backends/backend.ts";
import type { Inbound } from "../../src/runtime/host.ts";
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

// Pure transitions: the machine's decisions, without running its actions, its backend or a host.
// The backend is never called in a pure transition (sampling and training are invoked promises the
// test plays as done events), so a stub stands in for it.

const pureMachine = (timings: unknown[] = [], checkpoints: number[] = []) =>
  learnerMachine({ config, backend: { kind: "stub" } as unknown as LearnerBackend, checkpoint: (step) => checkpoints.push(step), timing: (t) => timings.push(t) });
const mailOf = (actions: { type: string; params?: unknown }[]) =>
  actions.filter((a) => a.type === "postOutbox").flatMap((a) => (a.params as { mail: { to: ActorId; event: { type: string; id: string } }[] }).mail);
const request = (id: string, from: ActorId, key: string) =>
  ({ type: "sample.request", step: 0, version: 0, role: from === "generator" ? "generator" : "predictor", n: 2, prompts: [{ key, text: `prompt ${key}` }], id, from }) as Inbound<SampleRequest>;
const served = (key: string) => ({
  type: "xstate.done.actor.sample",
  output: { served: { kind: "samples", results: [{ key, completions: [{ text: "a", tokens: [1, 2] }, { text: "b", tokens: [3] }] }] }, ms: 5 },
}) as never;

test("the learner serves one request at a time, answering each to its sender in arrival order", () => {
  const machine = pureMachine();
  const [s0, entry] = initialTransition(machine);
  expect(entry.map((a) => a.type)).toContain("announce");
  expect(s0.value).toBe("idle");
  const [s1] = transition(machine, s0, request("req-g", "generator", "s0/p0"));
  const [s2, queued] = transition(machine, s1, request("req-p", "predictor", "s0/p0/g0"));
  expect(s2.value).toBe("sampling");
  expect(s2.context.queue.map((r) => r.id)).toEqual(["req-g", "req-p"]);
  expect(mailOf(queued)).toEqual([]);
  const [s3, actions] = transition(machine, s2, served("s0/p0"));
  expect(mailOf(actions).map((m) => [m.to, m.event.type, m.event.id])).toEqual([["generator", "sample.response", "000000|learner|sample.response|req-g"]]);
  // The next request is served next: back to sampling with it at the head of the queue.
  expect(s3.value).toBe("sampling");
  expect(s3.context.queue.map((r) => r.id)).toEqual(["req-p"]);
  expect([...s3.context.rollouts.keys()]).toEqual(["s0/p0"]);
  expect(s3.context.clock).toEqual({ sampleMs: 5, trainMs: 0, sampledTokens: 3, completions: 2 });
});

test("serving a request leaves the learner's earlier snapshot untouched", () => {
  const machine = pureMachine();
  const [s0] = initialTransition(machine);
  const [s1] = transition(machine, s0, request("req-g", "generator", "s0/p0"));
  const before = { rollouts: s1.context.rollouts, clock: s1.context.clock };
  const [s2] = transition(machine, s1, served("s0/p0"));
  expect(s1.context.rollouts).toBe(before.rollouts);
  expect(s1.context.rollouts.size).toBe(0);
  expect(s1.context.clock).toEqual({ sampleMs: 0, trainMs: 0, sampledTokens: 0, completions: 0 });
  expect(s2.context.rollouts).not.toBe(s1.context.rollouts);
  expect(s2.context.rollouts.size).toBe(1);
});

test("the last scored paragraph starts training; its result reports timing, checkpoints and announces the next version", () => {
  const timings: unknown[] = [];
  const checkpoints: number[] = [];
  const machine = pureMachine(timings, checkpoints);
  const [s0] = initialTransition(machine);
  const scored = { type: "scored", step: 0, passage: "s0/p0", groups: [], id: "sc", from: "reward" } as Inbound<Scored>;
  const [s1] = transition(machine, s0, scored);
  expect(s1.value).toBe("training");
  const stats = { zeroVarFrac: 0 } as unknown as StepStats;
  const [s2, actions] = transition(machine, s1, { type: "xstate.done.actor.train", output: { result: {}, stats, ms: 7 } } as never);
  expect(actions.map((a) => a.type).filter((t) => !t.startsWith("xstate."))).toEqual(["reportTiming", "checkpoint", "announce"]);
  expect(actions.find((a) => a.type === "reportTiming")!.params).toMatchObject({ ms: 7 });
  expect(timings).toEqual([]); // returned, not run
  expect(checkpoints).toEqual([]);
  expect(s2.value).toBe("idle");
  expect(s2.context).toMatchObject({ step: 1, version: 1, passagesScored: 0, scored: [], lastStats: stats });
});
