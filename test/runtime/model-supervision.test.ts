// A model learner that crashes mid-run restarts from the state the hub kept: its parameters and
// Adam moments as tensors (structured-cloned from the learner's worker, and back to the new one),
// and the run's log is exactly an undisturbed run's.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import { encodeValue } from "../../src/protocol/codec.ts";
import { readEpisodeLog } from "../../src/protocol/log.ts";
import { DEFAULT_RUN_CONFIG, type FaultPlan, type RunConfig } from "../../src/runtime/config.ts";
import { runSelfPlay } from "../../src/runtime/run.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(180_000);

const dir = mkdtempSync(join(tmpdir(), "spz-model-supervision-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODEL: RunConfig = {
  ...DEFAULT_RUN_CONFIG,
  backend: "model",
  // RLP trains at every step (its reward is continuous) and keeps a moving average of the weights.
  task: "rlp",
  steps: 3,
  passages: 2,
  genSamples: 4,
  predSamples: 4,
  chunk: 2,
  window: 2,
  seed: 11,
  model: { ...DEFAULT_RUN_CONFIG.model, dir: join(import.meta.dir, "../../fixtures/default-model"), maxNewTokens: { generator: 8, predictor: 6 } },
};

let n = 0;
async function recordWith(faults: FaultPlan[]) {
  const path = join(dir, `run-${n++}.spzlog`);
  const out = await runSelfPlay({ config: { ...MODEL, faults }, transport: "worker", actors: ACTORS, recordPath: path });
  const records = readEpisodeLog(path).records.map((r) => Buffer.from(encodeValue(r)).toString("base64"));
  return { out, records };
}

test("a model learner that exits after its first update restarts from the hub's tensor state; the log is unchanged", async () => {
  const clean = await recordWith([]);
  const crashed = await recordWith([{ actor: "learner", step: 1, atMessage: 2, kind: "exit" }]);
  expect(crashed.out.restarts.learner).toBe(1);
  expect(crashed.out.finalDigest).toBe(clean.out.finalDigest);
  expect(crashed.records).toEqual(clean.records);
  // The policy trained, so the restored state carried real updates.
  expect(clean.out.stats.some((s) => s.trained > 0)).toBe(true);
});
