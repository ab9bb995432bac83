// Prompts of the two Absolute Zero roles for the three task types (arXiv 2505.03335).
//
// Answers live in fenced blocks named by what they hold: ```python (a program), ```input (f's
// argument list), ```output (a value), ```message (the induction hint), ```inputs (several inputs,
// one per line). We chose fences over \boxed{...}: Python values are full of braces ({'a': 1},
// {1, 2}, '}'), which \boxed cannot delimit without a Python-aware scanner, while a fence line
// never occurs in a valid program or literal.
//
// "paper": the AZR-style instructions, for real base models: reason first, answer last; the parser
//   takes the LAST complete block of each kind (the final answer).
// "compact": no instructions, the references/examples as blocks, and the prompt ENDS INSIDE an
//   opened block, so a tiny model only has to continue the pattern; the parser takes the FIRST
//   block of each kind (whatever follows is the model imitating more examples). compact*Example()
//   render whole documents in this format for pretraining.

import { DETERMINISM_BANNED } from "../../exec/types.ts";
import type { TemplateName } from "../pretrainzero/prompts.ts";
import { INDUCTION_INPUTS, type AzrTaskType, type Proposal, type SolverTask, type Triplet } from "./types.ts";

export type { TemplateName } from "../pretrainzero/prompts.ts";

/** Modules named in the paper prompts: the executor's determinism list plus the sandbox's obvious ones. */
export const PROMPT_BANNED_MODULES: readonly string[] = Object.freeze([
  ...DETERMINISM_BANNED.filter((m) => !m.startsWith("_")),
  "socket", "io", "pathlib", "shutil", "importlib", "ctypes", "pickle", "inspect", "gc", "signal",
]);

const fence = (tag: string, body: string): string => `\`\`\`${tag}\n${body}\n\`\`\``;
const open = (tag: string): string => `\`\`\`${tag}\n`;

/** The program an induction proposer is asked about: the first reference's. */
export function inductionProgram(references: readonly Triplet[]): string {
  const first = references[0];
  if (!first) throw new Error("an induction proposer prompt needs at least one reference triplet (its program is the one to write inputs for)");
  return first.program;
}

const TASK_GOAL: Record<"deduction" | "abduction", string> = {
  deduction: "A solver will see the program and the input and must predict the output.",
  abduction: "A solver will see the program and the output and must find an input that produces it.",
};

const RULES = [
  "- Define a function `f` at the top level (helpers may come before it). It is called as `f(<input>)`.",
  "- The input is f's argument list written as Python literals, e.g. `[1, 2], 'x'` calls f([1, 2], 'x').",
  "- `f` must return a plain value: None, bool, int, float, complex, str, bytes, list, tuple, set, frozenset or dict.",
  "- The program must be deterministic (same input, same output), use no randomness, clock, files, network or environment, and finish well within a second.",
  `- Do not import these modules: ${PROMPT_BANNED_MODULES.join(", ")}. Do not use __import__, exec, eval, compile, open, globals or locals.`,
].join("\n");

function referenceBlock(t: Triplet, i: number): string {
  return [`### Reference ${i + 1}`, fence("python", t.program), fence("input", t.input), fence("output", t.output)].join("\n");
}

function paperProposer(type: AzrTaskType, references: readonly Triplet[]): string {
  if (type === "induction") {
    const program = inductionProgram(references);
    const calls = references.filter((t) => t.program === program);
    return [
      "## Task: write inputs for a Python program and a message describing it",
      "",
      `Write ${INDUCTION_INPUTS} different inputs for the program below and a short message about what it does. A solver will see the message and 5 of the input/output pairs and must write the program; the other 5 pairs check it. Choose inputs that together pin down the program's behaviour, and a message that helps without giving the code away.`,
      "",
      "Rules:",
      "- Each input is f's argument list written as Python literals, e.g. `[1, 2], 'x'` calls f([1, 2], 'x').",
      "- The inputs must be different from each other, and f must run on each of them without an error.",
      "",
      "### Program",
      fence("python", program),
      ...(calls.length > 0 ? ["", "### Example calls", ...calls.map((t) => `${fence("input", t.input)}\n${fence("output", t.output)}`)] : []),
      "",
      `Think first, then end your answer with the message and the ${INDUCTION_INPUTS} inputs, one block each:`,
      fence("message", "<what the program does>"),
      fence("input", "<first input>"),
      "...",
      fence("input", `<input ${INDUCTION_INPUTS}>`),
    ].join("\n");
  }
  return [
    `## Task: write a new Python program and one input for a ${type} task`,
    "",
    `Write a deterministic Python function \`f\` and one input for it. ${TASK_GOAL[type]} Make the task different from the reference programs below and hard enough to need careful reasoning.`,
    "",
    "Rules:",
    RULES,
    "",
    ...references.map(referenceBlock).flatMap((b) => [b, ""]),
    "Think first, then end your answer with the program and the input:",
    fence("python", "def f(...):\n    ..."),
    fence("input", "<f's arguments>"),
  ].join("\n");
}

const COMPACT_HEAD: Record<AzrTaskType, string> = {
  deduction: "Propose a deduction task.",
  abduction: "Propose an abduction task.",
  induction: "Propose an induction task.",
};

function compactTriplet(t: Triplet): string {
  return `Program:\n${fence("python", t.program)}\nInput:\n${fence("input", t.input)}\nOutput:\n${fence("output", t.output)}\n`;
}

function compactProposer(type: AzrTaskType, references: readonly Triplet[]): string {
  if (type === "induction") {
    const program = inductionProgram(references);
    const calls = references.filter((t) => t.program === program);
    const examples = calls.map((t) => `Input:\n${fence("input", t.input)}\nOutput:\n${fence("output", t.output)}\n`).join("");
    return `${COMPACT_HEAD.induction}\n\nProgram:\n${fence("python", program)}\n${examples}Message:\n${open("message")}`;
  }
  return `${COMPACT_HEAD[type]}\n\n${references.map(compactTriplet).join("\n")}\nProgram:\n${open("python")}`;
}

/**
 * Prompt asking the proposer for a new task. Deduction/abduction: a program and one input,
 * different from the K references. Induction: inputs (10) and a message for the program of
 * references[0] (see inductionProgram); the references with that program are shown as example calls.
 */
export function proposerPrompt(type: AzrTaskType, references: readonly Triplet[], template: TemplateName = "paper"): string {
  return template === "compact" ? compactProposer(type, references) : paperProposer(type, references);
}

function paperSolver(task: SolverTask): string {
  switch (task.type) {
    case "deduction":
      return [
        "## Task: predict the output of a Python program",
        "",
        "Work out what the program returns when called on the input below. Reason step by step first, then end your answer with the returned value written as a Python literal (as repr() prints it) in an ```output block.",
        "",
        fence("python", task.program),
        fence("input", task.input),
        "",
        "Answer format:",
        fence("output", "<the value f returns>"),
      ].join("\n");
    case "abduction":
      return [
        "## Task: find an input that makes a Python program return a given output",
        "",
        "Find an input for which the program below returns the given output; any such input is accepted. The input is f's argument list written as Python literals, e.g. `[1, 2], 'x'` calls f([1, 2], 'x'). Reason step by step first, then end your answer with the input in an ```input block.",
        "",
        fence("python", task.program),
        fence("output", task.output),
        "",
        "Answer format:",
        fence("input", "<f's arguments>"),
      ].join("\n");
    case "induction":
      return [
        "## Task: write the Python program behind input/output examples",
        "",
        "A deterministic Python function `f` maps each input below to its output, and its author describes it in the message. Write `f`. It is also checked on inputs you do not see, so implement the general rule, not a lookup table.",
        `Do not import these modules: ${PROMPT_BANNED_MODULES.join(", ")}.`,
        "",
        "### Message",
        fence("message", task.message),
        "",
        "### Examples",
        ...task.pairs.map((p) => `${fence("input", p.input)}\n${fence("output", p.output)}`),
        "",
        "Reason step by step first, then end your answer with the whole program:",
        fence("python", "def f(...):\n    ..."),
      ].join("\n");
  }
}

function compactSolver(task: SolverTask): string {
  switch (task.type) {
    case "deduction":
      return `Program:\n${fence("python", task.program)}\nInput:\n${fence("input", task.input)}\nOutput:\n${open("output")}`;
    case "abduction":
      return `Program:\n${fence("python", task.program)}\nOutput:\n${fence("output", task.output)}\nInput:\n${open("input")}`;
    case "induction": {
      const pairs = task.pairs.map((p) => `Input:\n${fence("input", p.input)}\nOutput:\n${fence("output", p.output)}\n`).join("");
      return `Message:\n${fence("message", task.message)}\n${pairs}Program:\n${open("python")}`;
    }
  }
}

/** Prompt asking the solver to answer: deduction an ```output block, abduction an ```input block, induction a ```python block. */
export function solverPrompt(task: SolverTask, template: TemplateName = "paper"): string {
  return template === "compact" ? compactSolver(task) : paperSolver(task);
}

/** The completion a compact-template proposer would write for `proposal` (prompt + this = a pretraining document). */
export function compactProposalCompletion(proposal: Proposal): string {
  if (proposal.type === "induction") {
    // One input per line when they fit on a line (what a tiny model copes with), else a block each.
    const inputs = proposal.inputs.some((i) => i.includes("\n"))
      ? proposal.inputs.map((i) => fence("input", i)).join("\n")
      : fence("inputs", proposal.inputs.join("\n"));
    return `${proposal.message ?? ""}\n\`\`\`\nInputs:\n${inputs}\n`;
  }
  return `${proposal.program}\n\`\`\`\nInput:\n${fence("input", proposal.inputs[0] ?? "")}\n`;
}

/** The completion a compact-template solver would write for `answer` (an output, input or program). */
export function compactSolutionCompletion(answer: string): string {
  return `${answer}\n\`\`\`\n`;
}

/** A whole compact proposer example (prompt and completion), e.g. for pretraining documents. */
export function compactProposerExample(type: AzrTaskType, references: readonly Triplet[], proposal: Proposal): string {
  return proposerPrompt(type, references, "compact") + compactProposalCompletion(proposal);
}

/** A whole compact solver example (prompt and completion). */
export function compactSolverExample(task: SolverTask, answer: string): string {
  return solverPrompt(task, "compact") + compactSolutionCompletion(answer);
}
