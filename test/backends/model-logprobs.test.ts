// The model backend's log-probabilities of a target after a context (RLP's reward), under the
// policy and under its moving average.

import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { ModelBackend } from "../../src/backends/model/backend.ts";
import { DEFAULT_RUN_CONFIG, type RunConfig } from "../../src/runtime/config.ts";

setDefaultTimeout(60_000);

const config: RunConfig = {
  ...DEFAULT_RUN_CONFIG,
  backend: "model",
  task: "rlp",
  taskOptions: { emaDecay: 0.5 },
  model: { ...DEFAULT_RUN_CONFIG.model, dir: join(import.meta.dir, "../../fixtures/tiny-llama") },
};

test("a target's tokens follow the context's directly (no BOS between them) and their log-probabilities are summed", async () => {
  const b = ModelBackend.load(config);
  const tok = b.model.tokenizer;
  const req = { type: "logprob.request" as const, step: 0, version: 0, items: [{ key: "k", context: "The cat", target: " sat down" }] };
  const [policy] = await b.logprobs({ ...req, weights: "policy" });
  expect(policy!.tokens).toBe(tok.encode(" sat down", { addSpecialTokens: false }).length);
  // The same sum, scored by hand over the whole sequence.
  const ctx = tok.encode("The cat");
  const ids = [...ctx, ...tok.encode(" sat down", { addSpecialTokens: false })];
  const [scored] = await b.model.logprobs([ids]);
  let sum = 0;
  for (let t = ctx.length - 1; t < ids.length - 1; t++) sum += scored!.logprobs[t]!;
  expect(policy!.logprob).toBeCloseTo(sum, 5);
  // Before any update the moving average is the policy itself.
  const [ema] = await b.logprobs({ ...req, weights: "ema" });
  expect(ema!.logprob).toBe(policy!.logprob);
});
