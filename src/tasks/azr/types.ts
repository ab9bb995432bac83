// Absolute Zero task types (arXiv 2505.03335): a policy proposes code-reasoning tasks as
// (program, input, output) triplets and solves them; a sandboxed executor checks both.

export type AzrTaskType = "deduction" | "abduction" | "induction";
export const AZR_TASK_TYPES: readonly AzrTaskType[] = Object.freeze(["deduction", "abduction", "induction"]);

/** The two roles of one policy; with the three task types they make TRR++'s 6 buckets. */
export type AzrRole = "propose" | "solve";
export const AZR_ROLES: readonly AzrRole[] = Object.freeze(["propose", "solve"]);

/** TRR++ bucket name of a sample ("deduction/propose", ...); pass these to trrAdvantages. */
export function azrBucket(type: AzrTaskType, role: AzrRole): string {
  return `${type}/${role}`;
}

/**
 * o = p(i). `input` is Python source for f's argument list ("[1, 2], 3" calls f([1, 2], 3));
 * `output` is repr(f(input)) as the sandbox printed it. `message` is the proposer's hint, kept on
 * induction triplets so a buffer entry can become an induction task again.
 */
export interface Triplet {
  program: string;
  input: string;
  output: string;
  message?: string;
}

/** What the solver sees. Induction shows the message and the visible pairs only. */
export type SolverTask =
  | { type: "deduction"; program: string; input: string }
  | { type: "abduction"; program: string; output: string }
  | { type: "induction"; message: string; pairs: { input: string; output: string }[] };

/**
 * A parsed proposal. Deduction/abduction: the proposer's program and one input. Induction: the
 * program given in the prompt, the proposer's inputs (10 by default) and its message.
 */
export interface Proposal {
  type: AzrTaskType;
  program: string;
  inputs: string[];
  message?: string;
}

/** The identity program every buffer starts from (the paper's seed triplet). */
export const IDENTITY_TRIPLET: Readonly<Triplet> = Object.freeze({
  program: "def f(a):\n    return a",
  input: "'Hello World'",
  output: "'Hello World'",
});

/** Number of inputs an induction proposal must write (the paper's N). */
export const INDUCTION_INPUTS = 10;
