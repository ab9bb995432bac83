// What the AZR task code needs from an executor, as plain functions over the Executor interface:
// run a triplet, check an answer by value equality inside the sandbox, validate a proposal.

import type { ExecError, Executor, Verdict } from "./types.ts";

/** Runs f(input); on success `verdict.output` is repr(f(input)). */
export function runTriplet(executor: Executor, program: string, input: string): Promise<Verdict> {
  return executor.run({ op: "run", program, input });
}

/** True when f(input) == (the value written as) expectedOutput, compared inside the sandbox. Abduction and induction answers. */
export async function checkEqual(executor: Executor, program: string, input: string, expectedOutput: string): Promise<boolean> {
  const v = await executor.run({ op: "check", program, input, expected: expectedOutput });
  return v.ok && v.equal === true;
}

/** True when two value expressions are equal Python values (a deduction answer against the gold output). */
export async function compareOutputs(executor: Executor, predicted: string, gold: string): Promise<boolean> {
  const v = await executor.run({ op: "compare", a: predicted, b: gold });
  return v.ok && v.equal === true;
}

/** Many (program, input, expected) checks in one batch; results in order. */
export async function checkEqualBatch(
  executor: Executor,
  items: readonly { program: string; input: string; expected: string }[],
): Promise<boolean[]> {
  const vs = await executor.runBatch(items.map((i) => ({ op: "check" as const, ...i })));
  return vs.map((v) => v.ok && v.equal === true);
}

export interface InputResult {
  input: string;
  /** repr of f(input) when the input ran twice with the same result. */
  output?: string;
  error?: ExecError;
}

export interface ProposalVerdict {
  /** Every input parsed, ran within the limits, returned a plain value, and gave the same output twice. */
  valid: boolean;
  /** The first reason the proposal is invalid. */
  reason?: ExecError;
  results: InputResult[];
}

/**
 * AZR proposal validation (Absolute Zero, arXiv 2505.03335): the program parses and passes the static checks, and
 * for every input it runs within the limits, touches nothing banned (also at run time: __import__,
 * importlib, exec/eval of strings) and gives the same output on two runs. The two runs of an input
 * go out in one batch, so with a pool of 2 or more they usually land on different runtimes.
 */
export async function validateProposal(executor: Executor, program: string, inputs: readonly string[]): Promise<ProposalVerdict> {
  if (inputs.length === 0) {
    return { valid: false, reason: { kind: "bad_request", message: "a proposal needs at least one input" }, results: [] };
  }
  const parsed = await executor.run({ op: "parse", program });
  if (!parsed.ok) return { valid: false, reason: parsed.error, results: inputs.map((input) => ({ input, error: parsed.error })) };
  const runs = await executor.runBatch(inputs.flatMap((input) => [0, 1].map(() => ({ op: "run" as const, program, input }))));
  const results: InputResult[] = inputs.map((input, i) => {
    const a = runs[2 * i]!;
    const b = runs[2 * i + 1]!;
    if (!a.ok) return { input, error: a.error };
    if (!b.ok) return { input, error: b.error };
    if (a.output !== b.output) {
      return { input, error: { kind: "nondeterministic", message: `two runs differ: ${clip(a.output)} then ${clip(b.output)}` } };
    }
    return { input, output: a.output };
  });
  const failed = results.find((r) => r.error);
  return failed ? { valid: false, reason: failed.error, results } : { valid: true, results };
}

const clip = (s: string | undefined): string => (s === undefined ? "nothing" : s.length > 80 ? `${s.slice(0, 80)}...` : s);
