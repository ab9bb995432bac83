import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createPythonExecutor, type Executor } from "../../../src/exec/index.ts";
import { rng } from "../../../src/runtime/rng.ts";
import {
  checkSolution,
  checkSolutionBatch,
  parseProposal,
  solverReward,
  solverTask,
  validate,
  validateBatch,
  type Proposal,
  type Triplet,
} from "../../../src/tasks/azr/index.ts";

setDefaultTimeout(120_000);

// One runtime for the file: it boots in seconds. A pool of 1 also shows that the determinism check
// does not rely on the two runs landing on different runtimes.
let ex: Executor & { warm(): Promise<void> };
beforeAll(async () => {
  ex = createPythonExecutor({ poolSize: 1, limits: { timeoutMs: 1000, killGraceMs: 500 } });
  await ex.warm();
}, 180_000);
afterAll(() => ex?.close());

const r = (item: number) => rng({ seed: 1, step: 0, role: "solve", item });
const SUM = "def f(xs, k):\n    return sum(x * k for x in xs)";
const INDUCTION_PROGRAM = "def f(a):\n    return a * a if a >= 0 else -a";
const INDUCTION_INPUTS = ["0", "1", "2", "3", "-4", "5", "-6", "7", "8", "-9"];

const valid = async (p: Proposal): Promise<Triplet[]> => {
  const v = await validate(ex, p);
  if (!v.valid) throw new Error(`expected valid, got ${v.reason}`);
  return v.triplets;
};
const reason = async (p: Proposal): Promise<string> => {
  const v = await validate(ex, p);
  return v.valid ? "valid" : v.reason;
};

describe("validate", () => {
  test("a deduction proposal gives one triplet with the sandbox's repr of the output", async () => {
    const parsed = parseProposal("deduction", "```python\n" + SUM + "\n```\n```input\n[1, 2, 3], 2\n```");
    expect("invalid" in parsed).toBe(false);
    expect(await valid(parsed as Proposal)).toEqual([{ program: SUM, input: "[1, 2, 3], 2", output: "12" }]);
  });

  test("an induction proposal gives the 10 (input, output) pairs of the given program, each with the message", async () => {
    const ts = await valid({ type: "induction", program: INDUCTION_PROGRAM, inputs: INDUCTION_INPUTS, message: "squares or negates" });
    expect(ts).toHaveLength(10);
    expect(ts.map((t) => t.output)).toEqual(["0", "1", "4", "9", "4", "25", "6", "49", "64", "9"]);
    expect(ts.every((t) => t.message === "squares or negates" && t.program === INDUCTION_PROGRAM)).toBe(true);
  });

  test("banned imports are refused, also through __import__, importlib and eval/exec of strings", async () => {
    expect(await reason({ type: "deduction", program: "import random\ndef f(a):\n    return random.random()", inputs: ["1"] })).toContain("banned");
    expect(await reason({ type: "deduction", program: "def f(a):\n    return __import__('time').time()", inputs: ["1"] })).toContain("banned");
    expect(await reason({ type: "abduction", program: "import importlib\ndef f(a):\n    return importlib.import_module('os').getcwd()", inputs: ["1"] })).toContain("banned");
    expect(await reason({ type: "abduction", program: "def f(a):\n    return eval('a + 1')", inputs: ["1"] })).toContain("banned");
    expect(await reason({ type: "deduction", program: "def f(a):\n    exec('b = 1')\n    return a", inputs: ["1"] })).toContain("banned");
    expect(await reason({ type: "deduction", program: "from datetime import date\ndef f(a):\n    return a", inputs: ["1"] })).toContain("banned");
  });

  test("nondeterministic programs are refused: id(object()) and hash of a fresh object", async () => {
    expect(await reason({ type: "deduction", program: "def f(a):\n    return id(object()) + a", inputs: ["1"] })).toContain("nondeterministic");
    expect(await reason({ type: "deduction", program: "def f(a):\n    return [hash(object()) for _ in range(a)]", inputs: ["3"] })).toContain("nondeterministic");
    // hash of a str is fixed by the sandbox (PYTHONHASHSEED=0), so this one is deterministic.
    expect(await reason({ type: "deduction", program: "def f(a):\n    return hash(a) % 7", inputs: ["'abc'"] })).toBe("valid");
  });

  test("an endless loop is refused at the time limit", async () => {
    expect(await reason({ type: "deduction", program: "def f(a):\n    while True:\n        a += 1\n    return a", inputs: ["1"] })).toContain("timeout");
  });

  test("syntax errors, exceptions, non-plain outputs and unreadable outputs are refused", async () => {
    expect(await reason({ type: "deduction", program: "def f(a)\n    return a", inputs: ["1"] })).toContain("syntax");
    expect(await reason({ type: "deduction", program: "def f(a):\n    return 1 // a", inputs: ["0"] })).toContain("exception");
    expect(await reason({ type: "deduction", program: "def f(a):\n    return object()", inputs: ["0"] })).toContain("unsupported_value");
    expect(await reason({ type: "deduction", program: "def f(a):\n    return float('nan')", inputs: ["0"] })).toContain("cannot be checked");
    // One failing input sinks an induction proposal.
    expect(await reason({ type: "induction", program: "def f(a):\n    return 10 // a", inputs: ["1", "2", "0"], message: "m" })).toContain("input 3");
  });

  test("a batch validates a mix of proposals, results in order", async () => {
    const vs = await validateBatch(ex, [
      { type: "deduction", program: SUM, inputs: ["[1], 1"] },
      { type: "abduction", program: "import os\ndef f(a):\n    return a", inputs: ["1"] },
      { type: "induction", program: INDUCTION_PROGRAM, inputs: INDUCTION_INPUTS, message: "m" },
      { type: "deduction", program: SUM, inputs: [] },
    ]);
    expect(vs.map((v) => v.valid)).toEqual([true, false, true, false]);
  });
});

describe("solverTask and checkSolution", () => {
  test("deduction: the predicted value must equal the output by Python value equality", async () => {
    const { task, hidden } = solverTask("deduction", await valid({ type: "deduction", program: "def f(a):\n    return {'n': a, 's': {a, 2}}", inputs: ["1"] }), r(0));
    expect(task).toEqual({ type: "deduction", program: "def f(a):\n    return {'n': a, 's': {a, 2}}", input: "1" });
    expect(JSON.stringify(task)).not.toContain("'n': 1");
    expect((await checkSolution(ex, "deduction", task, hidden, "{'s': {2, 1}, 'n': 1.0}")).correct).toBe(true);
    expect(await checkSolution(ex, "deduction", task, hidden, "{'n': 2, 's': {1, 2}}")).toMatchObject({ correct: false, formatted: true, verdict: "wrong" });
    expect(await checkSolution(ex, "deduction", task, hidden, "{'n': 1,")).toMatchObject({ correct: false, formatted: false, verdict: "syntax" });
    expect(await checkSolution(ex, "deduction", task, hidden, null)).toMatchObject({ correct: false, formatted: false, verdict: "no_answer" });
  });

  test("abduction: any input that reproduces the output is correct, including one different from the proposer's", async () => {
    const ts = await valid({ type: "abduction", program: "def f(xs):\n    return sorted(xs)[:2]", inputs: ["[5, 1, 3]"] });
    const { task, hidden } = solverTask("abduction", ts, r(1));
    expect(task).toEqual({ type: "abduction", program: "def f(xs):\n    return sorted(xs)[:2]", output: "[1, 3]" });
    expect((await checkSolution(ex, "abduction", task, hidden, "[5, 1, 3]")).correct).toBe(true);
    expect((await checkSolution(ex, "abduction", task, hidden, "[3, 1, 99, 42]")).correct).toBe(true);
    expect(await checkSolution(ex, "abduction", task, hidden, "[1, 2]")).toMatchObject({ correct: false, formatted: true, verdict: "wrong" });
    expect(await checkSolution(ex, "abduction", task, hidden, "5")).toMatchObject({ correct: false, formatted: true, verdict: "exception" });
    // An input cannot smuggle statements into the sandbox call.
    expect(await checkSolution(ex, "abduction", task, hidden, "[1, 3]); import os; (1")).toMatchObject({ correct: false, verdict: "syntax" });
  });

  test("induction: 5 pairs shown, 5 hidden; a program matching only the visible pairs is wrong", async () => {
    const ts = await valid({ type: "induction", program: INDUCTION_PROGRAM, inputs: INDUCTION_INPUTS, message: "squares non-negatives" });
    const { task, hidden } = solverTask("induction", ts, r(2));
    if (task.type !== "induction") throw new Error("wrong task type");
    expect(task.pairs).toHaveLength(5);
    expect(task.message).toBe("squares non-negatives");
    const h = hidden as { pairs: { input: string; output: string }[] };
    expect(h.pairs).toHaveLength(5);
    expect(new Set([...task.pairs, ...h.pairs].map((p) => p.input)).size).toBe(10);
    // Same split for the same RNG key, another for another key.
    expect(solverTask("induction", ts, r(2)).task).toEqual(task);

    const right = "def f(a):\n    if a < 0:\n        return -a\n    return a ** 2";
    expect(await checkSolution(ex, "induction", task, hidden, right)).toEqual({ correct: true, formatted: true, verdict: "correct" });
    // A lookup table of the visible pairs: right on what the solver saw, wrong on what it did not.
    const table = `def f(a):\n    table = {${task.pairs.map((p) => `${p.input}: ${p.output}`).join(", ")}}\n    return table.get(a, -1)`;
    expect((await checkSolution(ex, "induction", task, { type: "induction", pairs: task.pairs, program: INDUCTION_PROGRAM }, table)).correct).toBe(true);
    const lookup = await checkSolution(ex, "induction", task, hidden, table);
    expect(lookup).toMatchObject({ correct: false, formatted: true, verdict: "wrong" });
    expect(lookup.detail).toMatch(/^[0-4]\/5 hidden pairs$/);
    expect(await checkSolution(ex, "induction", task, hidden, "def f(a)\n    return a")).toMatchObject({ correct: false, formatted: false, verdict: "syntax" });
    expect(await checkSolution(ex, "induction", task, hidden, "import random\ndef f(a):\n    return a")).toMatchObject({ correct: false, formatted: true, verdict: "banned" });
  });

  test("a batch checks mixed answers in order and the official rewards follow from the checks", async () => {
    const [d] = [solverTask("deduction", [{ program: SUM, input: "[1, 2], 3", output: "9" }], r(3))];
    const checks = await checkSolutionBatch(ex, [
      { type: "deduction", ...d!, solution: "9" },
      { type: "deduction", ...d!, solution: "10" },
      { type: "deduction", ...d!, solution: null },
    ]);
    expect(checks.map((c) => c.verdict)).toEqual(["correct", "wrong", "no_answer"]);
    expect(checks.map((c) => solverReward(c, { official: true }))).toEqual([1, -0.5, -1]);
  });

  test("a hidden part from another task type is refused", async () => {
    const { task } = solverTask("deduction", [{ program: SUM, input: "[1], 1", output: "1" }], r(4));
    await expect(checkSolution(ex, "abduction", task, { type: "deduction", output: "1" }, "1")).rejects.toThrow("does not belong to a abduction task");
  });
});
