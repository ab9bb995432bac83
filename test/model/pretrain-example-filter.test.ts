import { expect, test } from "bun:test";
import { DEFAULT_PRETRAIN, pretrainDocuments } from "../../src/model/pretrain.ts";
import { generatorPrompt } from "../../src/tasks/pretrainzero/prompts.ts";
import { parseMask } from "../../src/tasks/pretrainzero/mask.ts";
import { spanRuleViolation } from "../../src/tasks/pretrainzero/span-rules.ts";
import { spanFacts } from "../../src/tasks/pretrainzero/span-stats.ts";

const passages = [
  "The capital of Norland is Vesk, a river port on the Amber, and the country exports timber and salt.",
  "Of the three provinces, the largest is Orvan; the smallest, Tesk, lies in the north of the island.",
  "In 1742 the company was founded by Ilse Marr in Kettering, where it still makes brass instruments.",
  "The government is a parliamentary republic; the president is elected for a term of five years.",
];

/** The spans of every generator example in the documents, with the passage each was cut from. */
function generatorExamples(docs: readonly string[]): { passage: string; span: string }[] {
  const out: { passage: string; span: string }[] = [];
  for (const d of docs) {
    const passage = passages.find((p) => d.startsWith(generatorPrompt(p, "compact")));
    if (!passage) continue;
    const m = parseMask(d);
    if ("span" in m) out.push({ passage, span: m.span });
  }
  return out;
}

test("with --example-filter content every generator example shows a unique content span on word boundaries", () => {
  const many = Array.from({ length: 40 }, (_, i) => passages[i % passages.length]!);
  const docs = pretrainDocuments(many, { ...DEFAULT_PRETRAIN, taskShare: 1, exampleFilter: "content" });
  const examples = generatorExamples(docs);
  expect(examples.length).toBeGreaterThan(5);
  for (const { passage, span } of examples) {
    expect(spanRuleViolation(span, "content")).toBeNull();
    const f = spanFacts(passage, span);
    expect(f.cutsWord).toBe(false);
    expect(f.occurrences).toBe(1);
  }
});

test("without the filter some generator examples are function words, as in the first default model", () => {
  const many = Array.from({ length: 200 }, (_, i) => passages[i % passages.length]!);
  const examples = generatorExamples(pretrainDocuments(many, { ...DEFAULT_PRETRAIN, taskShare: 1 }));
  expect(examples.some(({ span }) => spanRuleViolation(span, "content") !== null)).toBe(true);
});
