// The learner sums each step's sampling statistics per role and reports them with its timing, a
// side channel: the sample responses it posts are the same with or without them. A real run writes
// them into metrics.jsonl at the top level.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initialTransition, transition } from "xstate";
import { learnerMachine } from "../../actors/learner.ts";
import type { LearnerBackend } from "../../src/backends/backend.ts";
import type { SampleRequest, Scored, StepStats } from "../../src/protocol/messages.ts";
import type { Inbound } from "../../src/runtime/host.ts";
import type { RoleSampling } from "../../src/runtime/sampling-stats.ts";
import { SMALL } from "../helpers/configs.ts";

setDefaultTimeout(120_000);

const config = { ...SMALL, passages: 1, genSamples: 2, predSamples: 3 };
const timings: unknown[] = [];
const machine = learnerMachine({ config, backend: { kind: "stub" } as unknown as LearnerBackend, checkpoint: () => {}, timing: (t) => timings.push(t) });
const request = (id: string, role: "generator" | "predictor") =>
  ({ type: "sample.request", step: 0, version: 0, role, n: 2, prompts: [{ key: id, text: `prompt ${id}` }], id, from: role }) as Inbound<SampleRequest>;
const served = (key: string, sampling?: RoleSampling) =>
  ({
    type: "xstate.done.actor.sample",
    output: { served: { kind: "samples", results: [{ key, completions: [{ text: "a", tokens: [1, 2] }, { text: "b", tokens: [3] }] }] }, ms: 5, ...(sampling ? { sampling } : {}) },
  }) as never;
const mail = (actions: { type: string; params?: unknown }[]) => actions.filter((a) => a.type === "postOutbox").map((a) => a.params);

test("sampling statistics are summed per role, kept out of the responses, reported with the timing and reset each step", () => {
  const [s0] = initialTransition(machine);
  const [s1] = transition(machine, s0, request("g", "generator"));
  const gen = { completions: 2, tokens: 3, truncated: 1, entropySum: 1.5 };
  const [s2, withStats] = transition(machine, s1, served("g", gen));
  expect(s2.context.sampling).toEqual({ g: { role: "generator", s: gen } });
  // The same response is posted whether or not the backend reported statistics.
  const [, withoutStats] = transition(machine, s1, served("g"));
  expect(mail(withStats)).toEqual(mail(withoutStats));

  const [s3] = transition(machine, s2, request("p1", "predictor"));
  const [s4] = transition(machine, s3, served("p1", { completions: 2, tokens: 4, truncated: 0, entropySum: 2 }));
  const [s5] = transition(machine, s4, request("p2", "predictor"));
  const [s6] = transition(machine, s5, served("p2", { completions: 2, tokens: 6, truncated: 2, entropySum: 1 }));
  expect(Object.keys(s6.context.sampling)).toEqual(["g", "p1", "p2"]);
  expect(Object.keys(s4.context.sampling)).toEqual(["g", "p1"]);

  const scored = { type: "scored", step: 0, passage: "s0/p0", groups: [], id: "sc", from: "reward" } as Inbound<Scored>;
  const [s7] = transition(machine, s6, scored);
  expect(s7.value).toBe("training");
  const [s8, actions] = transition(machine, s7, { type: "xstate.done.actor.train", output: { result: {}, stats: { zeroVarFrac: 0 } as unknown as StepStats, ms: 7 } } as never);
  expect(s8.context.sampling).toEqual({});
  // transition() returns the actions unexecuted; run the reporter as the actor would.
  const report = actions.find((a) => a.type === "reportTiming") as unknown as { exec: (info: unknown, params: unknown) => void; info: unknown; params: unknown };
  report.exec(report.info, report.params);
  expect(timings).toEqual([
    { step: 0, sampleMs: 15, trainMs: 7, sampledTokens: 9, completions: 6, sampling: { generator: gen, predictor: { completions: 4, tokens: 10, truncated: 2, entropySum: 3 } } },
  ]);
});

test("the reported sums do not depend on the order requests arrive in (replicas interleave them)", () => {
  // 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit as floats.
  const entropies: Record<string, number> = { a: 0.1, b: 0.2, c: 0.3 };
  const report = (order: string[]) => {
    let [s] = initialTransition(machine);
    for (const k of order) {
      [s] = transition(machine, s, request(k, "predictor"));
      [s] = transition(machine, s, served(k, { completions: 1, tokens: 1, truncated: 0, entropySum: entropies[k]! }));
    }
    [s] = transition(machine, s, { type: "scored", step: 0, passage: "s0/p0", groups: [], id: "sc", from: "reward" } as Inbound<Scored>);
    const [, actions] = transition(machine, s, { type: "xstate.done.actor.train", output: { result: {}, stats: { zeroVarFrac: 0 } as unknown as StepStats, ms: 1 } } as never);
    const r = actions.find((a) => a.type === "reportTiming") as unknown as { exec: (info: unknown, params: unknown) => void; info: unknown; params: unknown };
    timings.length = 0;
    r.exec(r.info, r.params);
    return (timings[0] as { sampling: { predictor: { entropySum: number } } }).sampling.predictor.entropySum;
  };
  expect(0.1 + 0.2 + 0.3).not.toBe(0.3 + 0.2 + 0.1);
  expect(report(["c", "b", "a"])).toBe(report(["a", "b", "c"]));
  expect(report(["b", "a", "c"])).toBe(report(["a", "b", "c"]));
});

test("a short real run writes genEntropy and genTruncFrac (and the predictor's when it sampled) at the top level of metrics.jsonl", () => {
  const dir = mkdtempSync(join(tmpdir(), "learner-sampling-"));
  try {
    const p = Bun.spawnSync(
      ["bun", "run", "train", "--model", "fixtures/tiny-llama", "--steps", "2", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--runs-dir", dir],
      { cwd: join(import.meta.dir, "../.."), stdout: "pipe", stderr: "pipe" },
    );
    expect(p.exitCode, p.stderr.toString()).toBe(0);
    const [run] = readdirSync(dir);
    const rows = readFileSync(join(dir, run!, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.genEntropy).toBeGreaterThan(0);
      expect(r.genEntropy).toBeLessThanOrEqual(Math.log(660) + 1e-9); // tiny-llama: vocab_size 660
      expect(r.genTruncFrac).toBeGreaterThanOrEqual(0);
      expect(r.genTruncFrac).toBeLessThanOrEqual(1);
      expect(r.genResponseLen).toBeGreaterThan(0);
      // The predictor samples only when some mask was valid; then its fields are there too.
      const predSampled = r.invalidFrac! < 1;
      expect("predEntropy" in r).toBe(predSampled);
      expect("predTruncFrac" in r).toBe(predSampled);
      expect((r as unknown as { wall: object }).wall).not.toHaveProperty("genEntropy");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
