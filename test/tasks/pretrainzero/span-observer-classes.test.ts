import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlledCorpus } from "../../../src/data/controlled/generate.ts";
import { writeControlledCorpus } from "../../../src/data/controlled/sidecar.ts";
import { trainPassages } from "../../../src/data/train-passages.ts";
import type { Message } from "../../../src/protocol/messages.ts";
import { DEFAULT_RUN_CONFIG } from "../../../src/runtime/config.ts";
import { cutBefore } from "../../../src/tasks/baselines/masks.ts";
import { PRETRAINZERO } from "../../../src/tasks/pretrainzero/task.ts";

const dir = mkdtempSync(join(tmpdir(), "spz-observer-classes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("on a controlled corpus, spans are classed both in masked paragraphs and in next-token cuts that drop the rest", async () => {
  const path = join(dir, "cc.jsonl");
  writeControlledCorpus(path, controlledCorpus({ seed: 0, docs: 200 }));
  const config = { ...DEFAULT_RUN_CONFIG, backend: "model" as const, corpus: { ...DEFAULT_RUN_CONFIG.corpus, path, minWords: 20, maxWords: 60 } };
  const [passage] = await trainPassages(config);
  const observer = await PRETRAINZERO.observer!(config);
  const words = passage!.split(/\s+/);
  // Every cut of the paragraph: each span is some class, never "unknown".
  const cuts = words.map((_, k) => cutBefore(passage!, k)).filter((m) => m !== null);
  observer.see({ type: "masks", step: 0, version: 0, passage: "p", masks: cuts.map((m, i) => ({ maskId: `p/g${i}`, masked: m!.masked })) } as Message);
  observer.see({ type: "answers", step: 0, passage: "p", answers: cuts.map((m, i) => ({ maskId: `p/g${i}`, span: m!.span })) } as Message);
  const out = observer.take(0);
  expect(out.spanCount).toBe(cuts.length);
  expect(out.spanClassUnknown).toBe(0);
  expect(out.spanClassLearnable! + out.spanClassTrivial! + out.spanClassNoise!).toBeGreaterThan(0);
});
