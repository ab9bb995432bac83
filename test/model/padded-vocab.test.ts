// A config whose vocabulary is padded past its tokenizer's ids (Qwen3-0.6B: 151,936 rows for
// 151,669 ids) can sample a padded id: generation must not crash decoding it (its text is empty, as
// in transformers), and constrained decoding must never draw it (it can spell nothing).
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "../../src/model/model.ts";
import { buildRandomModel } from "../../src/model/random-model.ts";

setDefaultTimeout(60_000);

const TINY = join(import.meta.dir, "../../fixtures/tiny-llama");
const root = mkdtempSync(join(tmpdir(), "spz-padded-vocab-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// tiny-llama's tokenizer has 660 ids; 140 more embedding rows. Random N(0, 0.02) weights give a
// near-uniform next-token distribution, so a fifth of the draws land on padded ids.
const dir = buildRandomModel(TINY, TINY, join(root, "padded"), { seed: 5, configOverrides: { vocab_size: 800 } }).dir;

const request = { prompt: [659, 12, 40, 7], maxNewTokens: 48, temperature: 1, topP: 1, topK: 0, stopTokenIds: [] as number[], rng: { seed: 3, step: 0, role: "generator", item: "p", sample: 0 } };

test("free sampling draws padded ids and their text is empty, not an error", async () => {
  const model = loadModel(dir, { deterministic: true });
  try {
    const [g] = await model.generate([request]);
    const tokens = Array.from(g!.tokens);
    expect(tokens.length).toBe(48);
    expect(tokens.some((t) => t >= 660)).toBe(true);
    expect(g!.text).toBe(model.tokenizer.decode(tokens.filter((t) => t < 660)));
  } finally {
    await model.release();
  }
});

test("constrained decoding never draws a padded id", async () => {
  const model = loadModel(dir, { deterministic: true });
  try {
    const [g] = await model.generate([{ ...request, accept: () => true }]);
    expect(g!.tokens.length).toBe(48);
    expect(Array.from(g!.tokens).every((t) => t < 660)).toBe(true);
  } finally {
    await model.release();
  }
});
