import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { factbookPassages } from "../../src/data/factbook.ts";
import { frozenBinding } from "../../src/model/decoder.ts";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import { LogprobScorer } from "../../src/model/logprobs.ts";
import { DEFAULT_PRETRAIN, pretrain, pretrainDocuments } from "../../src/model/pretrain.ts";
import { openModelWeights } from "../../src/model/safetensors.ts";
import { TextTokenizer } from "../../src/model/tokenizer.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-pretrain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const passages = factbookPassages().slice(0, 150);
const tiny = { ...DEFAULT_PRETRAIN, vocabSize: 400, hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64, seqLen: 32, batch: 4, steps: 25, lr: 5e-3, warmup: 2 };

test("a share of documents is rendered in the compact task formats", () => {
  const docs = pretrainDocuments(passages, { ...tiny, taskShare: 0.5 });
  const gen = docs.filter((d) => /\nHide: \\mask\{[^}]+\}$/.test(d)).length;
  const pred = docs.filter((d) => /\nHidden: \\boxed\{[^}]+\}$/.test(d)).length;
  expect(gen).toBeGreaterThan(10);
  expect(pred).toBeGreaterThan(10);
  expect(docs.length).toBe(passages.length + gen + pred);
});

test("pretraining lowers the loss and writes a folder the model loaders read back", async () => {
  const out = join(dir, "m");
  const r = await pretrain(passages, out, tiny);
  expect(r.losses).toHaveLength(25);
  const early = r.losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const late = r.losses.slice(-3).reduce((a, b) => a + b) / 3;
  expect(late).toBeLessThan(early - 0.3);
  const cfg = loadDecoderConfig(out);
  expect(cfg.arch).toBe("llama");
  expect(cfg.numKvHeads).toBe(1);
  const tok = TextTokenizer.load(out);
  const ids = tok.encode("Text: France is a country.\nHide:");
  const scorer = new LogprobScorer(cfg, frozenBinding(cfg, openModelWeights(out, cfg).readAllF32(), "initializer"));
  const [s] = await scorer.score([ids]);
  expect(s!.logprobs).toHaveLength(ids.length - 1);
  expect(s!.logprobs.every((x) => Number.isFinite(x) && x <= 0)).toBe(true);
  await scorer.release();
});
