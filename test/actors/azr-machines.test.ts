// The Absolute Zero machines as pure transitions: what they decide and which actions they ask the
// host to run, with no sandbox, no peers and no actions executed.

import { expect, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import type { Executor } from "../../src/exec/types.ts";
import type { ActorId, PolicyVersion, Predictions, SampleRequest, Scored } from "../../src/protocol/messages.ts";
import { DEFAULT_RUN_CONFIG, type RunConfig } from "../../src/runtime/config.ts";
import type { Inbound, Outbound } from "../../src/runtime/host.ts";
import { TaskBuffers } from "../../src/tasks/azr/buffer.ts";
import type { Proposals, Tasks, Validated } from "../../src/tasks/azr/messages.ts";
import { proposerMachine } from "../../src/tasks/azr/proposer.machine.ts";
import { azrRewardMachine } from "../../src/tasks/azr/reward.machine.ts";

const config: RunConfig = { ...DEFAULT_RUN_CONFIG, backend: "model", task: "azr", template: "paper", steps: 3, passages: 2, genSamples: 2, predSamples: 2, chunk: 2, window: 2 };
const version = (step: number) => ({ type: "policy.version", step, version: step, digest: "d", id: `v${step}`, from: "learner" }) as Inbound<PolicyVersion>;
const requestsOf = (actions: { type: string; params?: unknown }[]) =>
  actions.filter((a) => a.type === "sendRequests").flatMap((a) => (a.params as { requests: Outbound<SampleRequest>[] }).requests);

test("on a policy version, the proposer checkpoints its buffers, then asks for at most the window of chunks", () => {
  const checkpoints: number[] = [];
  const machine = proposerMachine({ config, buffers: new TaskBuffers(), checkpoint: (step) => checkpoints.push(step) });
  const [s0] = initialTransition(machine);
  const [s1, actions] = transition(machine, s0, version(0));
  expect(actions.map((a) => a.type)).toEqual(["checkpointBuffers", "sendRequests"]);
  expect(checkpoints).toEqual([]); // returned, not run
  expect(s1.value).toBe("proposing");
  expect(s1.context.chunks.map((c) => c.batch)).toEqual(["deduction/c0", "abduction/c0", "induction/c0"]);
  expect(requestsOf(actions).map((r) => r.id)).toEqual(["000000|generator|sample.request|deduction/c0", "000000|generator|sample.request|abduction/c0"]);
  expect(s1.context.pending).toEqual({ "000000|generator|sample.request|deduction/c0": 0, "000000|generator|sample.request|abduction/c0": 1 });
});

test("validated triplets reach the proposer's buffers only through the addValidated action", () => {
  const buffers = new TaskBuffers();
  const machine = proposerMachine({ config, buffers, checkpoint: () => {} });
  const [s0] = initialTransition(machine);
  const before = buffers.size("deduction");
  const validated = {
    type: "validated", step: 0, batch: "deduction/c0", taskType: "deduction", id: "val", from: "reward",
    triplets: [{ program: "def f(a):\n    return a * 3", input: "2", output: "6" }],
  } as Inbound<Validated>;
  const [s1, actions] = transition(machine, s0, validated);
  expect(actions.map((a) => a.type)).toEqual(["addValidated"]);
  expect(buffers.size("deduction")).toBe(before);
  expect(s1.context).toEqual(s0.context);
  const add = actions[0]!;
  (add.exec as (info: unknown, params: unknown) => void)(add.info, add.params);
  expect(buffers.size("deduction")).toBe(before + 1);
});

test("the final policy version checkpoints the proposer's buffers and asks for nothing", () => {
  const machine = proposerMachine({ config, buffers: new TaskBuffers(), checkpoint: () => {} });
  const [s0] = initialTransition(machine);
  const [s1, actions] = transition(machine, s0, version(config.steps));
  expect(s1.value).toBe("finished");
  expect(actions.map((a) => a.type)).toEqual(["checkpointBuffers"]);
});

// The reward machine's sandbox work is an invoked promise; a pure transition never starts it, so a
// stub executor will do, and the test plays the promise's result as the done event.
const rewardMachine = azrRewardMachine({ config, exec: {} as Executor });
const mailOf = (actions: { type: string; params?: unknown }[]) =>
  actions.filter((a) => a.type === "postOutbox").flatMap((a) => (a.params as { mail: { to: ActorId; event: { type: string; id: string } }[] }).mail);
const proposals = {
  type: "proposals", step: 0, version: 0, batch: "deduction/c0", taskType: "deduction", id: "p", from: "generator",
  proposals: [{ key: "s0/deduction/0", rollouts: [{ program: "def f(a):\n    return a", inputs: ["1"] }, { program: "", inputs: [], invalid: "no-program" }] }],
} as Inbound<Proposals>;
const validatedChunk = {
  state: { proposals, valid: { "s0/deduction/0": [true, false] }, tasks: {} },
  tasks: { type: "tasks", step: 0, version: 0, batch: "deduction/c0", tasks: [{ key: "s0/deduction/0/g0", prompt: "solve" }] } as Tasks,
  validated: { type: "validated", step: 0, batch: "deduction/c0", taskType: "deduction", triplets: [{ program: "def f(a):\n    return a", input: "1", output: "1" }] } as Validated,
};
const predictions = { type: "predictions", step: 0, passage: "deduction/c0", groups: [], id: "q", from: "predictor" } as Inbound<Predictions>;
const scored: Scored = { type: "scored", step: 0, passage: "deduction/c0", groups: [] };

test("proposals start one AZR validation job and post nothing until it is done", () => {
  const [s0] = initialTransition(rewardMachine);
  const [s1, actions] = transition(rewardMachine, s0, proposals);
  expect(s1.value).toBe("working");
  expect(s1.context.queue).toEqual([{ kind: "validate", msg: proposals }]);
  expect(mailOf(actions)).toEqual([]);
});

test("a finished validation sends the triplets to the proposer before the solver tasks to the predictor", () => {
  const [s0] = initialTransition(rewardMachine);
  const [s1] = transition(rewardMachine, s0, proposals);
  const [s2, actions] = transition(rewardMachine, s1, { type: "xstate.done.actor.work", output: { kind: "validate", chunk: validatedChunk } } as never);
  expect(mailOf(actions).map((m) => [m.to, m.event.type, m.event.id])).toEqual([
    ["generator", "validated", "000000|reward|validated|deduction/c0"],
    ["predictor", "tasks", "000000|reward|tasks|deduction/c0"],
  ]);
  expect(s2.value).toBe("idle");
  expect(s2.context.queue).toEqual([]);
  expect(Object.keys(s2.context.chunks)).toEqual(["deduction/c0"]);
});

test("a validated chunk's predictions start a scoring job whose result goes to the learner and is forgotten", () => {
  const [s0] = initialTransition(rewardMachine);
  const [s1] = transition(rewardMachine, s0, proposals);
  const [s2] = transition(rewardMachine, s1, { type: "xstate.done.actor.work", output: { kind: "validate", chunk: validatedChunk } } as never);
  const [s3] = transition(rewardMachine, s2, predictions);
  expect(s3.value).toBe("working");
  expect(s3.context.queue).toEqual([{ kind: "score", batch: "deduction/c0" }]);
  const [s4, actions] = transition(rewardMachine, s3, { type: "xstate.done.actor.work", output: { kind: "score", scored } } as never);
  expect(mailOf(actions)).toEqual([{ to: "learner", event: { ...scored, id: "000000|reward|scored|deduction/c0" } }]);
  expect(s4.value).toBe("idle");
  expect(s4.context).toMatchObject({ queue: [], chunks: {}, predictions: {} });
});
