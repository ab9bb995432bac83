import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { loadModel } from "../../src/model/model.ts";
import { copyConstraint } from "../../src/tasks/pretrainzero/copy-constraint.ts";

setDefaultTimeout(60_000);

test("constrained decoding draws only accepted text and records the policy's own log-probs", async () => {
  const m = loadModel(join(import.meta.dir, "../../fixtures/tiny-llama"), { deterministic: true });
  const passage = "The capital of France is Paris, on the river Seine.";
  const accept = copyConstraint(passage);
  // The prompt already opens the mask: every sampled token must continue a copy of the passage.
  const prefix = " \\mask{";
  const prompt = m.tokenizer.encode(`Text: ${passage}\nHide:${prefix}`);
  const reqs = [0, 1, 2, 3].map((i) => ({ prompt, maxNewTokens: 6, temperature: 1, stopTokenIds: [], rng: { seed: 7, step: 0, role: "generator", item: "p", sample: i }, accept: (t: string) => accept(prefix + t) }));
  const out = await m.generate(reqs);
  const free = await m.generate(reqs.map(({ accept: _a, ...r }) => r));
  expect(free.some((g) => !accept(prefix + g.text))).toBe(true);
  for (const g of out) {
    expect(accept(prefix + g.text)).toBe(true);
    // Behaviour log-probs are the whole distribution's (temperature 1 here), as a fresh scoring gives.
    const [sc] = await m.logprobs([[...prompt, ...g.tokens]]);
    for (let k = 0; k < g.tokens.length; k++) expect(g.logprobs[k]).toBeCloseTo(sc.logprobs[prompt.length - 1 + k]!, 3);
  }
  await m.release();
});
