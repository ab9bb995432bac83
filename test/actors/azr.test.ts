// The Absolute Zero actors with stubbed peers and a real sandbox: proposals are validated, valid ones
// become solver tasks and buffer triplets, solutions are checked, and both roles are scored.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { proposerChunks } from "../../src/tasks/azr/proposer.machine.ts";
import { azrRewardMachine } from "../../src/tasks/azr/reward.machine.ts";
import { createPythonExecutor } from "../../src/exec/index.ts";
import type { Executor } from "../../src/exec/types.ts";
import type { Scored } from "../../src/protocol/messages.ts";
import type { Proposals, Tasks, Validated } from "../../src/tasks/azr/messages.ts";
import { DEFAULT_RUN_CONFIG, type RunConfig } from "../../src/runtime/config.ts";
import { TaskBuffers } from "../../src/tasks/azr/buffer.ts";
import { hostAlone } from "../helpers/harness.ts";

// The sandbox boots pyodide in a subprocess: seconds on 2 shared cores.
setDefaultTimeout(120_000);

const config: RunConfig = { ...DEFAULT_RUN_CONFIG, backend: "model", task: "azr", template: "paper", passages: 2, genSamples: 2, predSamples: 2, chunk: 2 };
let exec: Executor;
beforeAll(() => {
  exec = createPythonExecutor({ poolSize: 1 });
});
afterAll(() => exec.close());

test("the proposer asks for every task type in chunks that never mix types, with references from its buffer", () => {
  const chunks = proposerChunks(config, new TaskBuffers(), 3);
  expect(chunks.map((c) => c.batch)).toEqual(["deduction/c0", "abduction/c0", "induction/c0"]);
  expect(chunks.every((c) => c.items.length === 2)).toBe(true);
  expect(chunks[0]!.items[0]!.prompt).toContain("def f(a)");
  expect(chunks[2]!.items[0]!.program).toContain("def f(a)");
  expect(proposerChunks(config, new TaskBuffers(), 3)).toEqual(chunks);
});

test("a valid proposal becomes a solver task and a buffer triplet; an invalid one earns the invalid reward", async () => {
  const h = hostAlone("reward", () => azrRewardMachine({ config, exec }), config);
  const proposals: Proposals = {
    type: "proposals", step: 0, version: 0, batch: "deduction/c0", taskType: "deduction",
    proposals: [{
      key: "s0/deduction/0",
      rollouts: [
        { program: "def f(xs):\n    return sorted(xs)[::-1]", inputs: ["[3, 1, 2]"] },
        { program: "import os\ndef f(a):\n    return os.getcwd()", inputs: ["1"] },
      ],
    }],
  };
  h.send("generator", "p", proposals);
  for (let i = 0; i < 1200 && h.sent.length < 2 && h.failures.length === 0; i++) await Bun.sleep(50);
  expect(h.failures).toEqual([]);
  const validated = h.sent.find((e) => e.msg.type === "validated")!.msg as Validated;
  const tasks = h.sent.find((e) => e.msg.type === "tasks")!;
  expect(tasks.to).toBe("predictor");
  expect(validated.triplets).toEqual([{ program: "def f(xs):\n    return sorted(xs)[::-1]", input: "[3, 1, 2]", output: "[3, 2, 1]" }]);
  const t = (tasks.msg as Tasks).tasks;
  expect(t.map((x) => x.key)).toEqual(["s0/deduction/0/g0"]);
  expect(t[0]!.prompt).not.toContain("[3, 2, 1]");
  // One right and one wrong solver answer: solve rate 1/2, learnability 1/2.
  h.send("predictor", "q", {
    type: "predictions", step: 0, passage: "deduction/c0",
    groups: [{ maskId: "s0/deduction/0/g0", completions: ["```output\n[3, 2, 1]\n```", "```output\n[1, 2, 3]\n```"] }],
  });
  for (let i = 0; i < 1200 && !h.sent.some((e) => e.msg.type === "scored") && h.failures.length === 0; i++) await Bun.sleep(50);
  const scored = h.sent.find((e) => e.msg.type === "scored")!.msg as Scored;
  expect(scored.groups).toEqual([
    { role: "predictor", key: "s0/deduction/0/g0", rewards: [1, 0], acc: 0.5, taskType: "deduction" },
    { role: "generator", key: "s0/deduction/0", rewards: [0.5, 0], invalid: 1, taskType: "deduction" },
  ]);
  expect(h.failures).toEqual([]);
  h.stop();
});
