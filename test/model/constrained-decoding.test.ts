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
    expect(accept(prefix + g.text.replace(/\uFFFD+$/, ""))).toBe(true);
    // Behaviour log-probs are the whole distribution's (temperature 1 here), as a fresh scoring gives.
    const [sc] = await m.logprobs([[...prompt, ...g.tokens]]);
    for (let k = 0; k < g.tokens.length; k++) expect(g.logprobs[k]).toBeCloseTo(sc.logprobs[prompt.length - 1 + k]!, 3);
  }
  await m.release();
});

test("constrained decoding never draws a piece of a character, so a copied span stays checkable text", async () => {
  const m = loadModel(join(import.meta.dir, "../../fixtures/default-model"), { deterministic: true });
  const passage = "São Tomé and Príncipe export cocoa.";
  const accept = copyConstraint(passage);
  const prefix = " \\mask{";
  const prompt = m.tokenizer.encode(`Text: ${passage}\nHide:${prefix}`);
  // EOS stays a stop token (as in a run): a span that cannot go on ends there instead of decoding freely.
  const reqs = Array.from({ length: 8 }, (_, i) => ({ prompt, maxNewTokens: 8, temperature: 1, rng: { seed: 3, step: 0, role: "generator", item: "p", sample: i }, accept: (t: string) => accept(prefix + t) }));
  for (const g of await m.generate(reqs)) {
    expect(g.text).not.toContain("\uFFFD");
    expect(accept(prefix + g.text)).toBe(true);
  }
  await m.release();
});
