// Pretraining documents from synthetic programs: each program is validated in the sandbox exactly
// as a self-play proposal is (validateBatch), and its triplets are rendered as whole compact
// proposer and solver examples, so the model sees the prompts it gets in self-play.

import type { Executor } from "../../exec/types.ts";
import { rng } from "../../runtime/rng.ts";
import { DEFAULT_REFERENCES } from "./buffer.ts";
import { solverTask, validateBatch } from "./execute.ts";
import { compactProposerExample, compactSolverExample } from "./prompts.ts";
import { syntheticProgram, syntheticProposal, type SyntheticProgram } from "./synthetic.ts";
import { AZR_TASK_TYPES, IDENTITY_TRIPLET, type AzrTaskType, type Triplet } from "./types.ts";

/** A validated synthetic program: its triplets (one per input, in input order, carrying the message). */
export interface SyntheticTriplets {
  source: SyntheticProgram;
  triplets: Triplet[];
}

/**
 * Programs 0..count-1 of `seed`, validated in batches; programs that fail validation (rare: a
 * template's input can raise) are dropped, so every triplet returned would be a valid proposal.
 */
export async function syntheticTriplets(exec: Executor, seed: number, count: number, batch = 256): Promise<SyntheticTriplets[]> {
  const out: SyntheticTriplets[] = [];
  for (let start = 0; start < count; start += batch) {
    const progs = Array.from({ length: Math.min(batch, count - start) }, (_, j) => syntheticProgram(seed, start + j));
    const results = await validateBatch(exec, progs.map(syntheticProposal));
    results.forEach((res, j) => {
      if (res.valid) out.push({ source: progs[j]!, triplets: res.triplets });
    });
  }
  return out;
}

/**
 * Two documents per program: a proposer example and a solver example, of task types drawn per
 * program. References mimic a growing buffer: the identity seed triplet plus up to K-1 earlier
 * programs' first triplets (an induction proposer's first reference is the program itself).
 */
export function syntheticDocuments(programs: readonly SyntheticTriplets[], seed: number): string[] {
  const docs: string[] = [];
  const firsts: Triplet[] = [];
  programs.forEach((p, i) => {
    const r = rng({ seed, step: 0, role: "azr-synthetic-docs", item: i });
    const t0 = { program: p.triplets[0]!.program, input: p.triplets[0]!.input, output: p.triplets[0]!.output };
    // Distinct earlier programs, as the buffer draws without replacement.
    const k = Math.min(r.int(DEFAULT_REFERENCES), firsts.length);
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(r.int(firsts.length));
    const others: Triplet[] = [...chosen].map((j) => firsts[j]!);
    // The real buffer always holds the identity triplet; show it in about a third of the prompts.
    if (r.float() < 0.35 || others.length === 0) others.splice(r.int(others.length + 1), 0, { ...IDENTITY_TRIPLET });
    const proposeType: AzrTaskType = AZR_TASK_TYPES[r.int(3)]!;
    if (proposeType === "induction") {
      const refs = [t0, ...others].slice(0, DEFAULT_REFERENCES);
      docs.push(compactProposerExample("induction", refs, { type: "induction", program: t0.program, inputs: p.triplets.map((t) => t.input), message: p.source.message }));
    } else {
      docs.push(compactProposerExample(proposeType, others.slice(0, DEFAULT_REFERENCES), { type: proposeType, program: t0.program, inputs: [t0.input] }));
    }
    const solveType: AzrTaskType = AZR_TASK_TYPES[r.int(3)]!;
    const pick = p.triplets[r.int(p.triplets.length)]!;
    const { task, hidden } = solverTask(solveType, solveType === "induction" ? p.triplets : [pick], r);
    const answer = hidden.type === "deduction" ? hidden.output : hidden.type === "abduction" ? hidden.input : hidden.program;
    docs.push(compactSolverExample(task, answer));
    firsts.push(t0);
  });
  return docs;
}
