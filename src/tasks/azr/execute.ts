// Proposal validation, solver tasks and answer checking for Absolute Zero, over the pluggable
// sandbox (src/exec). Every program, input and value is run and compared inside the sandbox;
// nothing from a completion is ever evaluated in the trainer.

import type { ExecError, ExecRequest, Executor, Verdict } from "../../exec/types.ts";
import type { Rng } from "../../runtime/rng.ts";
import type { AzrTaskType, Proposal, SolverTask, Triplet } from "./types.ts";

export type ValidationResult = { valid: true; triplets: Triplet[] } | { valid: false; reason: string };

export interface ValidateOptions {
  /** Runs per input that must agree (the paper runs twice). Default 2. */
  determinismRuns?: number;
}

const describe = (e: ExecError): string => `${e.kind}: ${e.message}`;

/**
 * Validates many proposals in two executor batches (the runs, then the output self-checks), so a
 * pool works on all of them at once. Results in order. See validate() for what is checked.
 */
export async function validateBatch(exec: Executor, proposals: readonly Proposal[], opts: ValidateOptions = {}): Promise<ValidationResult[]> {
  const runs = Math.max(2, Math.floor(opts.determinismRuns ?? 2));
  const results: (ValidationResult | null)[] = proposals.map((p) => precheck(p));
  // Stage 1: every input of every proposal, `runs` times; the copies of one input sit next to each
  // other so a pool of 2+ usually spreads them over different runtimes.
  const jobs: ExecRequest[] = [];
  const spans: { start: number }[] = [];
  proposals.forEach((p, k) => {
    spans.push({ start: jobs.length });
    if (results[k]) return;
    for (const input of p.inputs) for (let r = 0; r < runs; r++) jobs.push({ op: "run", program: heapShifted(p.program, r), input });
  });
  const verdicts = await exec.runBatch(jobs);
  const outputs: string[][] = proposals.map(() => []);
  proposals.forEach((p, k) => {
    if (results[k]) return;
    for (let i = 0; i < p.inputs.length; i++) {
      const vs = verdicts.slice(spans[k]!.start + i * runs, spans[k]!.start + (i + 1) * runs);
      const bad = vs.find((v): v is Extract<Verdict, { ok: false }> => !v.ok);
      if (bad) {
        results[k] = { valid: false, reason: `input ${i + 1} (${clip(p.inputs[i]!)}): ${describe(bad.error)}` };
        return;
      }
      const first = (vs[0] as Extract<Verdict, { ok: true }>).output ?? "";
      const other = vs.find((v) => v.ok && v.output !== first);
      if (other) {
        results[k] = { valid: false, reason: `input ${i + 1} (${clip(p.inputs[i]!)}): nondeterministic: runs gave ${clip(first)} and ${clip((other as { output?: string }).output ?? "")}` };
        return;
      }
      outputs[k]!.push(first);
    }
  });
  // Stage 2: each output repr must read back as a value equal to itself, or no answer could ever
  // match it (nan, inf, reprs that are not literals).
  const selfJobs: { k: number; i: number }[] = [];
  proposals.forEach((_, k) => {
    if (!results[k]) outputs[k]!.forEach((_, i) => selfJobs.push({ k, i }));
  });
  const selfVerdicts = await exec.runBatch(selfJobs.map(({ k, i }) => ({ op: "compare" as const, a: outputs[k]![i]!, b: outputs[k]![i]! })));
  selfJobs.forEach(({ k, i }, j) => {
    if (results[k]) return;
    const v = selfVerdicts[j]!;
    if (!v.ok || v.equal !== true) {
      const why = v.ok ? "it is not equal to itself" : describe(v.error);
      results[k] = { valid: false, reason: `input ${i + 1}: output ${clip(outputs[k]![i]!)} cannot be checked (${why})` };
    }
  });
  return proposals.map((p, k) => {
    const r = results[k];
    if (r) return r;
    const triplets = p.inputs.map((input, i): Triplet => {
      const t: Triplet = { program: p.program, input, output: outputs[k]![i]! };
      if (p.type === "induction" && p.message !== undefined) t.message = p.message;
      return t;
    });
    return { valid: true, triplets };
  });
}

/**
 * Run r > 0 of the determinism check gets the program with a few live allocations appended, so
 * f starts from a different heap layout. Two runs in a fresh interpreter otherwise often hand out
 * the same addresses, and id(object()), hash(object()) or the order of a set of objects would pass
 * as deterministic. A function of its input alone cannot tell the difference.
 */
export function heapShifted(program: string, run: number): string {
  if (run === 0) return program;
  return `${program}\n\n_azr_heap_shift = [(object(), [], {}, "x" * i) for i in range(${37 * run})]\n`;
}

function precheck(p: Proposal): ValidationResult | null {
  if (p.program.trim() === "") return { valid: false, reason: "empty program" };
  if (p.inputs.length === 0 || p.inputs.some((i) => i.trim() === "")) return { valid: false, reason: "a proposal needs non-empty inputs" };
  if (p.type !== "induction" && p.inputs.length !== 1) return { valid: false, reason: `a ${p.type} proposal has exactly one input, got ${p.inputs.length}` };
  if (p.type === "induction" && new Set(p.inputs).size !== p.inputs.length) return { valid: false, reason: "induction inputs must be distinct" };
  return null;
}

/**
 * AZR proposal validation (Absolute Zero, arXiv 2505.03335): the program parses and passes the sandbox's static
 * and run-time bans (banned modules, __import__, importlib, exec/eval/compile of strings), every
 * input runs within the time and memory limits and returns a plain value, two runs agree, and
 * the output reads back as an equal value. Deduction/abduction give one triplet, induction one per
 * input (each carrying the message).
 */
export async function validate(exec: Executor, proposal: Proposal, opts: ValidateOptions = {}): Promise<ValidationResult> {
  return (await validateBatch(exec, [proposal], opts))[0]!;
}

/** What the checker needs and the solver must not see. */
export type SolverHidden =
  | { type: "deduction"; output: string }
  | { type: "abduction"; program: string; output: string; input: string }
  | { type: "induction"; pairs: { input: string; output: string }[]; program: string };

/**
 * The solver's view of valid triplets and the hidden part. Deduction/abduction use triplets[0].
 * Induction shuffles the pairs with `r` and shows the first half (5 of 10); the rest check the answer.
 */
export function solverTask(type: AzrTaskType, triplets: readonly Triplet[], r: Rng): { task: SolverTask; hidden: SolverHidden } {
  const first = triplets[0];
  if (!first) throw new Error(`a ${type} solver task needs at least one triplet`);
  if (type === "deduction") {
    return { task: { type, program: first.program, input: first.input }, hidden: { type, output: first.output } };
  }
  if (type === "abduction") {
    return { task: { type, program: first.program, output: first.output }, hidden: { type, program: first.program, output: first.output, input: first.input } };
  }
  if (triplets.length < 2) throw new Error(`an induction solver task needs at least 2 pairs, got ${triplets.length}`);
  if (triplets.some((t) => t.program !== first.program)) throw new Error("an induction solver task needs pairs of one program");
  const order = r.permutation(triplets.length);
  const pairs = order.map((i) => ({ input: triplets[i]!.input, output: triplets[i]!.output }));
  const nVisible = Math.floor(pairs.length / 2);
  return {
    task: { type, message: first.message ?? "", pairs: pairs.slice(0, nVisible) },
    hidden: { type, pairs: pairs.slice(nVisible), program: first.program },
  };
}

/**
 * "correct" | "wrong" | "no_answer" (nothing parsed) | the executor's error kind (syntax,
 * exception, banned, timeout, memory, output_limit, unsupported_value, crashed, ...).
 */
export type SolutionVerdict = "correct" | "wrong" | "no_answer" | ExecError["kind"];

export interface SolutionCheck {
  correct: boolean;
  /** An answer was found and parses as Python (the official code's format check); false earns its -1. */
  formatted: boolean;
  verdict: SolutionVerdict;
  /** One line for logs: the error, or how many hidden pairs an induction program matched. */
  detail?: string;
}

export interface SolutionItem {
  type: AzrTaskType;
  task: SolverTask;
  hidden: unknown;
  solution: string | null;
}

function asHidden(type: AzrTaskType, hidden: unknown): SolverHidden {
  const h = hidden as Partial<SolverHidden> | null;
  const ok =
    h !== null && typeof h === "object" && h.type === type &&
    (type === "deduction" ? typeof (h as { output?: unknown }).output === "string"
      : type === "abduction" ? typeof (h as { output?: unknown }).output === "string" && typeof (h as { program?: unknown }).program === "string"
      : Array.isArray((h as { pairs?: unknown }).pairs));
  if (!ok) throw new Error(`hidden part does not belong to a ${type} task: expected what solverTask() returned`);
  return h as SolverHidden;
}

function jobsFor(item: SolutionItem): ExecRequest[] {
  if (item.solution === null) return [];
  const h = asHidden(item.type, item.hidden);
  switch (h.type) {
    case "deduction":
      return [{ op: "compare", a: item.solution, b: h.output }];
    case "abduction":
      // The program shown to the solver is the one it had to invert.
      return [{ op: "check", program: item.task.type === "abduction" ? item.task.program : h.program, input: item.solution, expected: h.output }];
    case "induction":
      return h.pairs.map((p) => ({ op: "check" as const, program: item.solution!, input: p.input, expected: p.output }));
  }
}

function judge(item: SolutionItem, vs: readonly Verdict[]): SolutionCheck {
  if (item.solution === null) return { correct: false, formatted: false, verdict: "no_answer", detail: "no answer block" };
  const err = vs.find((v): v is Extract<Verdict, { ok: false }> => !v.ok);
  const matched = vs.filter((v) => v.ok && v.equal === true).length;
  if (matched === vs.length && vs.length > 0) return { correct: true, formatted: true, verdict: "correct" };
  if (err && (item.type !== "induction" || matched === 0 || err.error.kind === "syntax")) {
    // A syntax error is in the answer itself (the program, input or literal it wrote): a format error.
    return { correct: false, formatted: err.error.kind !== "syntax", verdict: err.error.kind, detail: err.error.message };
  }
  const detail = item.type === "induction" ? `${matched}/${vs.length} hidden pairs` : undefined;
  return detail ? { correct: false, formatted: true, verdict: "wrong", detail } : { correct: false, formatted: true, verdict: "wrong" };
}

/** Checks many answers in one executor batch (induction answers take one job per hidden pair). Results in order. */
export async function checkSolutionBatch(exec: Executor, items: readonly SolutionItem[]): Promise<SolutionCheck[]> {
  const perItem = items.map(jobsFor);
  const verdicts = await exec.runBatch(perItem.flat());
  let at = 0;
  return items.map((item, k) => {
    const vs = verdicts.slice(at, at + perItem[k]!.length);
    at += perItem[k]!.length;
    return judge(item, vs);
  });
}

/**
 * Deduction: the predicted value == the true output. Abduction: f(predicted input) == the output.
 * Induction: the written program reproduces every hidden pair. Equality is Python value equality
 * inside the sandbox between plain values.
 */
export async function checkSolution(exec: Executor, type: AzrTaskType, task: SolverTask, hidden: unknown, solution: string | null): Promise<SolutionCheck> {
  return (await checkSolutionBatch(exec, [{ type, task, hidden, solution }]))[0]!;
}

const clip = (s: string): string => (s.length > 60 ? `${s.slice(0, 60)}...` : s);
