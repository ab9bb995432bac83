// The executor contract, run over every Executor implementation (today: pyodide). One pool per
// implementation is shared by the file: booting a runtime takes seconds.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPythonExecutor, type ExecRequest, type Executor, type Verdict } from "../../src/exec/index.ts";
import { validate } from "../../src/tasks/azr/execute.ts";

const IMPLEMENTATIONS: { name: string; make: () => Executor & { warm(): Promise<void> } }[] = [
  { name: "python (pyodide)", make: () => createPythonExecutor({ poolSize: 2, limits: { timeoutMs: 1000, killGraceMs: 500 } }) },
];

const kind = (v: Verdict): string => (v.ok ? "ok" : v.error.kind);

for (const impl of IMPLEMENTATIONS) {
  describe(`executor contract: ${impl.name}`, () => {
    let ex: Executor & { warm(): Promise<void> };
    beforeAll(async () => {
      ex = impl.make();
      await ex.warm();
    }, 180_000);
    afterAll(() => ex?.close());
    const runTriplet = (program: string, input: string) => ex.run({ op: "run", program, input });
    /** A "check" (f(input) == expected) or "compare" (a == b) request, evaluated inside the sandbox. */
    const equal = async (req: Extract<ExecRequest, { op: "check" | "compare" }>) => {
      const v = await ex.run(req);
      return v.ok && v.equal === true;
    };
    const checkEqual = (program: string, input: string, expected: string) => equal({ op: "check", program, input, expected });
    const compareOutputs = (a: string, b: string) => equal({ op: "compare", a, b });

    test("runs f(input) and returns repr of the result", async () => {
      const v = await runTriplet("def f(a, b):\n    return {'s': a + b, 't': (a, b)}", "[1], [2]");
      expect(v).toMatchObject({ ok: true, output: "{'s': [1, 2], 't': ([1], [2])}" });
    });

    test("captures printed output separately from the result", async () => {
      const v = await runTriplet("def f(a):\n    print('step', a)\n    return a", "'x'");
      expect(v).toMatchObject({ ok: true, output: "'x'", stdout: "step x\n" });
    });

    test("compares by Python value equality inside the sandbox", async () => {
      const p = "def f(a):\n    return a * 2";
      expect(await checkEqual(p, "3", "6.0")).toBe(true);
      expect(await checkEqual(p, "3", "7")).toBe(false);
      expect(await checkEqual("def f(a):\n    return list(a)", "(1, 2)", "(1, 2)")).toBe(false);
      expect(await compareOutputs("{1: 'a', 2: 'b'}", "{2: 'b', 1: 'a'}")).toBe(true);
      expect(await compareOutputs("frozenset({1, 2})", "{1, 2}")).toBe(true);
    });

    test("refuses outputs that are not plain values, so a custom __eq__ cannot fake a match", async () => {
      const p = "class Any:\n    def __eq__(self, o):\n        return True\ndef f(a):\n    return Any()";
      const v = await ex.run({ op: "check", program: p, input: "1", expected: "42" });
      expect(kind(v)).toBe("unsupported_value");
      expect(await checkEqual("class L(list):\n    pass\ndef f(a):\n    return L([a])", "1", "[1]")).toBe(false);
    });

    test("reports syntax errors in the program, the input and the expected value", async () => {
      expect(kind(await runTriplet("def f(a)\n    return a", "1"))).toBe("syntax");
      expect(kind(await runTriplet("def f(a):\n    return a", "1); import os; (2"))).toBe("syntax");
      expect(kind(await ex.run({ op: "check", program: "def f(a):\n    return a", input: "1", expected: "[1," }))).toBe("syntax");
      expect(kind(await ex.run({ op: "parse", program: "def f(a):\n    return a" }))).toBe("ok");
    });

    test("reports exceptions with their type and a missing entry function", async () => {
      const v = await runTriplet("def f(a):\n    return 1 // a", "0");
      expect(v.ok ? "" : v.error.message).toContain("ZeroDivisionError");
      const w = await runTriplet("def g(a):\n    return a", "0");
      expect(w.ok ? "" : w.error.message).toContain("no function 'f'");
    });

    test("does not carry globals from one job into the next", async () => {
      await runTriplet("leak = 41\ndef f(a):\n    return a", "0");
      const vs = await ex.runBatch([0, 1, 2, 3].map(() => ({ op: "run" as const, program: "def f(a):\n    return leak + 1", input: "0" })));
      expect(vs.map(kind)).toEqual(["exception", "exception", "exception", "exception"]);
    });

    test("iterates sets in the same order on every runtime (fixed hash seed)", async () => {
      const p = "def f(a):\n    return list({'apple', 'pear', 'fig', 'kiwi', 'plum', 'date'})";
      const vs = await ex.runBatch(Array.from({ length: 4 }, () => ({ op: "run" as const, program: p, input: "0" })));
      expect(new Set(vs.map((v) => (v.ok ? v.output : kind(v)))).size).toBe(1);
    });

    test("validates a deterministic proposal and returns its outputs", async () => {
      const v = await validate(ex, { type: "induction", program: "def f(xs, k):\n    return sorted(xs)[-k:]", inputs: ["[5, 1, 4], 2", "[2, 2], 1"] });
      expect(v.valid ? v.triplets.map((t) => t.output) : v.reason).toEqual(["[4, 5]", "[2]"]);
    });

    test("rejects proposals that reach banned modules directly or through dynamic imports and code strings", async () => {
      const programs = [
        "import random\ndef f(a):\n    return random.random()",
        "from datetime import datetime\ndef f(a):\n    return a",
        "def f(a):\n    return __import__('time').time()",
        "import importlib\ndef f(a):\n    return importlib.import_module('random').random()",
        "def f(a):\n    exec('import random')\n    return a",
        "def f(a):\n    return eval('1 + 1')",
        "def f(a):\n    return getattr(__builtins__, '__import__')('os')",
        "def f(a):\n    g = getattr\n    return g(g, '__self__')",
      ];
      for (const p of programs) {
        const v = await validate(ex, { type: "deduction", program: p, inputs: ["1"] });
        expect({ p, reason: v.valid ? "valid" : v.reason.replace(/^(input 1 \(1\): banned): .*$/s, "$1") }).toEqual({ p, reason: "input 1 (1): banned" });
      }
    });

    test("rejects a proposal that runs past the time limit", async () => {
      const v = await validate(ex, { type: "induction", program: "def f(a):\n    while a:\n        pass\n    return a", inputs: ["0", "1"] });
      // Input 1 (0) returns at once; input 2 (1) loops.
      expect(v.valid ? "valid" : v.reason).toMatch(/^input 2 \(1\): timeout: /);
    });
  });
}
