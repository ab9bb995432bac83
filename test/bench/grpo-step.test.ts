// src/bench/grpo-step.ts as a command: its help, its one-line refusals, and a step that trains.
import { expect, test } from "bun:test";
import { join } from "node:path";

const SCRIPT = join(import.meta.dir, "../../src/bench/grpo-step.ts");
const run = (...args: string[]) => {
  const p = Bun.spawnSync([process.execPath, SCRIPT, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
};

test("--help describes the command and its flags", () => {
  const r = run("--help");
  expect(r.code).toBe(0);
  expect(r.out).toContain("Usage: bun src/bench/grpo-step.ts");
  expect(r.out).toContain("--save-adapters DIR");
});

for (const [args, message] of [
  [[], "grpo-step: give one of --config NAME or --model DIR"],
  [["--config", "gpt-9"], 'grpo-step: --config: "gpt-9"; accepted: qwen3-0.6b, llama-3.2-1b'],
  [["--model", "fixtures/tiny-qwen3", "--batch", "0"], "grpo-step: --batch: 0 is not a positive integer"],
  [["--model", "fixtures/tiny-qwen3", "--device", "tpu"], "grpo-step: --device: tpu; accepted: cpu, cuda"],
] as const) {
  test(`${JSON.stringify(args)}: one line, exit 2`, () => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(message);
  });
}

test("a timed LoRA step on a fixture reports its figures and trains", () => {
  const r = run("--model", "fixtures/tiny-qwen3", "--batch", "2", "--length", "16", "--rank", "2", "--steps", "2", "--json");
  expect(r.code).toBe(0);
  const j = JSON.parse(r.out.trim()) as { losses: number[]; stepMsMedian: number; fedBytes: number; fetchedBytes: number; trainableParams: number };
  expect(j.losses).toHaveLength(3);
  expect(j.stepMsMedian).toBeGreaterThan(0);
  expect(j.fetchedBytes).toBeGreaterThanOrEqual(12 * j.trainableParams); // adapters, m and v come back
}, 60_000);
