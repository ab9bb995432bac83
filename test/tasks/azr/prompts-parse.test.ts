import { describe, expect, test } from "bun:test";
import {
  compactProposalCompletion,
  compactSolutionCompletion,
  compactSolverExample,
  dedent,
  fencedBlocks,
  IDENTITY_TRIPLET,
  inductionProgram,
  parseProposal,
  parseSolution,
  proposerPrompt,
  solverPrompt,
  type Proposal,
  type SolverTask,
  type Triplet,
} from "../../../src/tasks/azr/index.ts";

const REFS: Triplet[] = [
  { program: "def f(xs):\n    return sorted(xs)[::-1]", input: "[3, 1, 2]", output: "[3, 2, 1]" },
  IDENTITY_TRIPLET,
];
const PROGRAM = "def f(d, k):\n    # braces {, quotes ' and a fence-free body\n    return {v: k for v in d if v != '}'}";
const INPUTS = Array.from({ length: 10 }, (_, i) => `[${i}, '}'], ${i % 3}`);

const paperProposal = (p: Proposal): string =>
  p.type === "induction"
    ? `I will probe edge cases first.\n\`\`\`message\n${p.message}\n\`\`\`\n${p.inputs.map((i) => "```input\n" + i + "\n```").join("\n")}\n`
    : `Draft:\n\`\`\`python\ndef f(a):\n    return 0\n\`\`\`\n\`\`\`input\n0\n\`\`\`\nBetter:\n\`\`\`python\n${p.program}\n\`\`\`\n\`\`\`input\n${p.inputs[0]}\n\`\`\`\nDone.`;

describe("proposer prompt and parse round trip", () => {
  for (const template of ["paper", "compact"] as const) {
    for (const type of ["deduction", "abduction"] as const) {
      test(`${type}, ${template}: the proposal written in the prompt's format parses back exactly`, () => {
        const prompt = proposerPrompt(type, REFS, template);
        for (const r of REFS) expect(prompt).toContain(r.program);
        const proposal: Proposal = { type, program: PROGRAM, inputs: ["{'a', '}'}, 7"] };
        const completion = template === "paper" ? paperProposal(proposal) : compactProposalCompletion(proposal) + "\nProgram:\n```python\ndef f(a):\n    return 1\n```\n";
        expect(parseProposal(type, completion, { template })).toEqual(proposal);
      });
    }
    test(`induction, ${template}: message and 10 inputs parse back, the program comes from the prompt`, () => {
      const prompt = proposerPrompt("induction", REFS, template);
      expect(inductionProgram(REFS)).toBe(REFS[0]!.program);
      expect(prompt).toContain(REFS[0]!.program);
      expect(prompt).not.toContain(IDENTITY_TRIPLET.program);
      const proposal: Proposal = { type: "induction", program: REFS[0]!.program, inputs: INPUTS, message: "Sorts the list, largest first." };
      const completion = template === "paper" ? paperProposal(proposal) : compactProposalCompletion(proposal);
      expect(parseProposal("induction", completion, { template, program: REFS[0]!.program })).toEqual(proposal);
    });
  }

  test("paper proposer prompt lists banned modules and asks for something different from the references", () => {
    const p = proposerPrompt("deduction", REFS, "paper");
    for (const m of ["random", "time", "datetime", "os", "sys", "subprocess", "threading", "hashlib", "importlib"]) expect(p).toContain(m);
    expect(p).toContain("different from the reference");
    expect(proposerPrompt("abduction", REFS, "paper")).toContain("find an input");
  });

  test("compact prompts end inside an opened block and differ per task type", () => {
    expect(proposerPrompt("deduction", REFS, "compact").endsWith("```python\n")).toBe(true);
    expect(proposerPrompt("induction", REFS, "compact").endsWith("```message\n")).toBe(true);
    expect(proposerPrompt("deduction", REFS, "compact")).not.toBe(proposerPrompt("abduction", REFS, "compact"));
  });

  test("compact induction inputs with newlines go one block each and still parse", () => {
    const proposal: Proposal = { type: "induction", program: "def f(a):\n    return a", inputs: INPUTS.map((i, k) => (k === 0 ? "[1,\n 2]" : i)), message: "m" };
    const completion = compactProposalCompletion(proposal);
    expect(completion).not.toContain("```inputs");
    expect(parseProposal("induction", completion, { template: "compact", program: proposal.program })).toEqual(proposal);
  });
});

describe("invalid proposals at parse time", () => {
  test("no code block, empty completion, missing input, no f, too few inductive inputs are refused with a reason", () => {
    expect(parseProposal("deduction", "def f(a):\n    return a\n\nf(1)")).toEqual({ invalid: "no ```python block" });
    expect(parseProposal("deduction", "   \n")).toEqual({ invalid: "empty completion" });
    expect(parseProposal("abduction", "```python\ndef f(a):\n    return a\n```\nno input")).toEqual({ invalid: "no ```input block after the program" });
    expect(parseProposal("deduction", "```python\ndef g(a):\n    return a\n```\n```input\n1\n```")).toEqual({ invalid: "the program defines no top-level function f" });
    expect(parseProposal("deduction", "```python\n\n```\n```input\n1\n```")).toEqual({ invalid: "no ```python block" });
    const few = "```message\nm\n```\n" + ["1", "2", "2", "3"].map((i) => "```input\n" + i + "\n```").join("\n");
    expect(parseProposal("induction", few, { program: "def f(a):\n    return a" })).toEqual({ invalid: "induction needs 10 distinct inputs in ```input blocks, got 3" });
    const noMsg = INPUTS.map((i) => "```input\n" + i + "\n```").join("\n");
    expect(parseProposal("induction", noMsg, { program: "def f(a):\n    return a" })).toEqual({ invalid: "no ```message block" });
  });

  test("paper mode ignores a block cut off by the end of the sample", () => {
    expect(parseProposal("deduction", "```python\ndef f(a):\n    return a\n```\n```input\n1")).toEqual({ invalid: "no ```input block after the program" });
  });
});

describe("solver prompt and parse round trip", () => {
  const tasks: SolverTask[] = [
    { type: "deduction", program: PROGRAM, input: "[1, 2], 3" },
    { type: "abduction", program: PROGRAM, output: "{1: 3, 2: 3}" },
    { type: "induction", message: "maps each item to k", pairs: INPUTS.slice(0, 5).map((input) => ({ input, output: "{}" })) },
  ];
  const answers = { deduction: "{1: 3, 2: 3}", abduction: "[1, 2], 3", induction: "def f(d, k):\n    return {v: k for v in d}" };
  const tags = { deduction: "output", abduction: "input", induction: "python" };
  for (const template of ["paper", "compact"] as const) {
    for (const task of tasks) {
      test(`${task.type}, ${template}: the answer in the prompt's format parses back exactly`, () => {
        const prompt = solverPrompt(task, template);
        if (task.type === "induction") {
          expect(prompt).toContain(task.message);
          for (const p of task.pairs) expect(prompt).toContain(p.input);
        } else expect(prompt).toContain(task.program);
        const answer = answers[task.type];
        const tag = tags[task.type];
        const completion =
          template === "paper"
            ? `Step 1 gives \`\`\`${tag}\nnot final\n\`\`\`\nso the answer is\n\`\`\`${tag}\n${answer}\n\`\`\`\n`
            : compactSolutionCompletion(answer) + `\nProgram:\n\`\`\`python\nzzz\n\`\`\`\n`;
        expect(parseSolution(task.type, completion, template)).toBe(answer);
      });
    }
  }

  test("paper solver prompts ask to reason first and name the answer block", () => {
    expect(solverPrompt(tasks[0]!, "paper")).toContain("Reason step by step first");
    expect(solverPrompt(tasks[0]!, "paper")).toContain("```output");
    expect(solverPrompt(tasks[1]!, "paper")).toContain("```input");
    expect(solverPrompt(tasks[2]!, "paper")).toContain("```python");
  });

  test("no answer block is a format error (null); compact accepts an answer ended by the end of the sample", () => {
    expect(parseSolution("deduction", "The output is [1, 2].")).toBeNull();
    expect(parseSolution("deduction", "```output\n   \n```")).toBeNull();
    expect(parseSolution("deduction", "[1, 2]", "compact")).toBe("[1, 2]");
    expect(parseSolution("deduction", "```output\n[3]\n```", "compact")).toBe("[3]");
    expect(parseSolution("abduction", "   ", "compact")).toBeNull();
  });

  test("an indented program block is dedented; ```py and a missing closing fence between blocks are tolerated", () => {
    expect(parseSolution("induction", "```py\n    def f(a):\n        return a\n```")).toBe("def f(a):\n    return a");
    expect(parseProposal("deduction", "```python\ndef f(a):\n    return a\n```input\n5\n```")).toEqual({ type: "deduction", program: "def f(a):\n    return a", inputs: ["5"] });
    expect(dedent("\n\n  x\n    y\n\n")).toBe("x\n  y");
  });

  test("fencedBlocks reports unclosed blocks and implicit openings", () => {
    expect(fencedBlocks("a\n```\ntext\n```Input\nb", "output")).toEqual([
      { tag: "output", body: "a", closed: true },
      { tag: "input", body: "b", closed: false },
    ]);
    expect(fencedBlocks("text only")).toEqual([]);
  });

  test("a compact solver example is prompt + answer + closing fence", () => {
    expect(compactSolverExample(tasks[0]!, "1")).toBe(solverPrompt(tasks[0]!, "compact") + "1\n```\n");
  });
});
