// Synthetic AZR programs for pretraining: seeded, valid proposals in the sandbox, and rendered as
// documents whose completions parse back the way self-play parses the model's.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createPythonExecutor, type Executor } from "../../../src/exec/index.ts";
import { checkSolutionBatch, solverTask } from "../../../src/tasks/azr/execute.ts";
import { parseProposal, parseSolution } from "../../../src/tasks/azr/parse.ts";
import { syntheticDocuments, syntheticTriplets, type SyntheticTriplets } from "../../../src/tasks/azr/synthetic-documents.ts";
import { syntheticProgram } from "../../../src/tasks/azr/synthetic.ts";
import { AZR_TASK_TYPES, INDUCTION_INPUTS, type AzrTaskType } from "../../../src/tasks/azr/types.ts";
import { rng } from "../../../src/runtime/rng.ts";

setDefaultTimeout(120_000);

let ex: Executor & { warm(): Promise<void> };
let sample: SyntheticTriplets[];
const N = 40;
beforeAll(async () => {
  ex = createPythonExecutor({ poolSize: 1 });
  await ex.warm();
  sample = await syntheticTriplets(ex, 7, N);
}, 180_000);
afterAll(() => ex?.close());

test("programs are a pure function of (seed, index) with distinct inputs, and vary", () => {
  for (let i = 0; i < 50; i++) expect(syntheticProgram(3, i)).toEqual(syntheticProgram(3, i));
  const programs = Array.from({ length: 200 }, (_, i) => syntheticProgram(3, i));
  for (const p of programs) {
    expect(p.program).toMatch(/^def f\(|\ndef f\(/);
    expect(new Set(p.inputs).size).toBe(INDUCTION_INPUTS);
  }
  expect(new Set(programs.map((p) => p.program)).size).toBeGreaterThan(150);
  expect(syntheticProgram(4, 0)).not.toEqual(syntheticProgram(3, 0));
});

test("every sampled program validates in the sandbox as a proposal would, one triplet per input", () => {
  expect(sample).toHaveLength(N);
  for (const s of sample) {
    expect(s.triplets).toHaveLength(INDUCTION_INPUTS);
    expect(s.triplets.map((t) => t.input)).toEqual(s.source.inputs);
    for (const t of s.triplets) expect(t.program).toBe(s.source.program);
  }
});

test("documents are deterministic, and their completions parse back to the proposal and the answer", async () => {
  const docs = syntheticDocuments(sample, 7);
  expect(syntheticDocuments(sample, 7)).toEqual(docs);
  expect(docs).toHaveLength(2 * N);
  const seen = new Set<string>();
  for (let i = 0; i < N; i++) {
    const doc = docs[2 * i]!;
    const head = /^Propose an? (deduction|abduction|induction) task\.\n\n/.exec(doc);
    expect(head).not.toBeNull();
    const type = head![1] as AzrTaskType;
    seen.add(`propose/${type}`);
    const src = sample[i]!;
    if (type === "induction") {
      const at = doc.lastIndexOf("Message:\n```message\n") + "Message:\n```message\n".length;
      const p = parseProposal(type, doc.slice(at), { template: "compact", program: src.source.program });
      expect(p).toEqual({ type, program: src.source.program, inputs: src.source.inputs, message: src.source.message });
    } else {
      const at = doc.lastIndexOf("Program:\n```python\n") + "Program:\n```python\n".length;
      expect(parseProposal(type, doc.slice(at), { template: "compact" })).toEqual({ type, program: src.source.program, inputs: [src.source.inputs[0]!] });
    }
  }
  // Solver documents: the answer after the prompt's opened block is correct when checked.
  const items = [];
  for (let i = 0; i < N; i++) {
    const doc = docs[2 * i + 1]!;
    const type: AzrTaskType = doc.startsWith("Message:") ? "induction" : /\nInput:\n```input\n[^`]*\n```\n$/.test(doc) ? "abduction" : "deduction";
    seen.add(`solve/${type}`);
    const open = type === "deduction" ? "Output:\n```output\n" : type === "abduction" ? "Input:\n```input\n" : "Program:\n```python\n";
    const answer = parseSolution(type, doc.slice(doc.lastIndexOf(open) + open.length), "compact");
    expect(answer).not.toBeNull();
    // Rebuild the check from the program's own triplets (the hidden part the document leaves out).
    const { task, hidden } = solverTask(type, type === "induction" ? sample[i]!.triplets : [sample[i]!.triplets[0]!], rng({ seed: 0, step: 0, role: "t", item: i }));
    const forCheck = type === "abduction" ? { ...hidden, output: /Output:\n```output\n([^`]*)\n```/.exec(doc)![1]! } : hidden;
    if (type === "deduction") {
      const input = /Input:\n```input\n([^`]*)\n```/.exec(doc)![1]!;
      const t = sample[i]!.triplets.find((x) => x.input === input)!;
      items.push({ type, task, hidden: { type, output: t.output }, solution: answer });
    } else items.push({ type, task, hidden: forCheck, solution: answer });
  }
  const checks = await checkSolutionBatch(ex, items);
  expect(checks.map((c) => c.verdict)).toEqual(checks.map(() => "correct"));
  for (const t of AZR_TASK_TYPES) {
    expect(seen.has(`propose/${t}`)).toBe(true);
    expect(seen.has(`solve/${t}`)).toBe(true);
  }
});
