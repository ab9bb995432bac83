// The Absolute Zero machines as pure transitions: what they decide and which actions they ask the
// host to run, with no sandbox, no peers and no actions executed.

import { expect, test } from "bun:test";
import { initialTransition, transition } from "xstate";
import type { PolicyVersion, SampleRequest } from "../../src/protocol/messages.ts";
import { DEFAULT_RUN_CONFIG, type RunConfig } from "../../src/runtime/config.ts";
import type { Inbound, Outbound } from "../../src/runtime/host.ts";
import { TaskBuffers } from "../../src/tasks/azr/buffer.ts";
import type { Validated } from "../../src/tasks/azr/messages.ts";
import { proposerMachine } from "../../src/tasks/azr/proposer.machine.ts";

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
