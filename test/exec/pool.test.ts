// The pool's scheduling and refill logic over fake runtimes (no pyodide, milliseconds).

import { describe, expect, test } from "bun:test";
import { RuntimePool, type Runtime } from "../../src/exec/pool.ts";
import { DEFAULT_LIMITS, type ExecRequest, type Verdict } from "../../src/exec/types.ts";
import { validate } from "../../src/tasks/azr/execute.ts";

class FakeRuntime implements Runtime {
  readonly ready: Promise<number>;
  alive = true;
  busy = false;
  constructor(
    readonly n: number,
    private readonly behave: (r: ExecRequest, self: FakeRuntime) => Verdict,
    boot: "ok" | "fail" = "ok",
  ) {
    this.ready = boot === "ok" ? Promise.resolve(1) : Promise.reject(new Error("no wasm"));
    this.ready.catch(() => {});
  }
  async run(r: ExecRequest): Promise<Verdict> {
    if (this.busy) throw new Error("two jobs at once on one runtime");
    this.busy = true;
    await Bun.sleep(1);
    this.busy = false;
    return this.behave(r, this);
  }
  kill(): void {
    this.alive = false;
  }
}

const ok = (output: string): Verdict => ({ ok: true, output, timeMs: 0 });
const prog = (r: ExecRequest): string => ("program" in r ? r.program : "");

describe("RuntimePool", () => {
  test("answers a batch in request order while never giving a runtime two jobs at once", async () => {
    let n = 0;
    const pool = new RuntimePool({ language: "python", limits: { ...DEFAULT_LIMITS }, size: 3, factory: () => new FakeRuntime(n++, (r) => ok(prog(r))) });
    const reqs: ExecRequest[] = Array.from({ length: 20 }, (_, i) => ({ op: "run", program: `p${i}`, input: "0" }));
    const vs = await pool.runBatch(reqs);
    expect(vs.map((v) => (v.ok ? v.output : "")).join(",")).toBe(reqs.map((r) => prog(r)).join(","));
    expect(pool.stats()).toMatchObject({ jobs: 20, starts: 3, kills: 0 });
    await pool.close();
  });

  test("replaces a runtime that died during a job and keeps serving", async () => {
    let n = 0;
    const pool = new RuntimePool({
      language: "python",
      limits: { ...DEFAULT_LIMITS },
      size: 1,
      factory: () =>
        new FakeRuntime(n++, (r, self) => {
          if (prog(r) === "die") {
            self.kill();
            return { ok: false, error: { kind: "timeout", message: "killed" }, timeMs: 0 };
          }
          return ok(`runtime ${self.n}`);
        }),
    });
    expect((await pool.run({ op: "run", program: "x", input: "0" })).ok).toBe(true);
    const dead = await pool.run({ op: "run", program: "die", input: "0" });
    expect(dead.ok ? "" : dead.error.kind).toBe("timeout");
    const after = await pool.run({ op: "run", program: "x", input: "0" });
    expect(after.ok ? after.output : "").toBe("runtime 1");
    expect(pool.stats()).toMatchObject({ starts: 2, kills: 1 });
    await pool.close();
  });

  test("fails jobs with a crashed verdict instead of hanging when runtimes never boot", async () => {
    const pool = new RuntimePool({ language: "python", limits: { ...DEFAULT_LIMITS }, size: 2, factory: () => new FakeRuntime(0, () => ok("1"), "fail") });
    const v = await pool.run({ op: "run", program: "x", input: "0" });
    expect(v.ok ? "" : v.error.kind).toBe("crashed");
    expect(v.ok ? "" : v.error.message).toContain("no wasm");
    await pool.close();
  });
});

describe("AZR proposal validation over a pool (logic over a scripted executor)", () => {
  test("flags an input whose two runs disagree as nondeterministic", async () => {
    let calls = 0;
    const pool = new RuntimePool({
      language: "python",
      limits: { ...DEFAULT_LIMITS },
      size: 1,
      factory: () => new FakeRuntime(0, (r) => (r.op === "parse" ? { ok: true, timeMs: 0 } : ok(String(calls++)))),
    });
    const v = await validate(pool, { type: "deduction", program: "def f(a):\n    return a", inputs: ["1"] });
    expect(v.valid ? "valid" : v.reason).toMatch(/^input 1 \(1\): nondeterministic: runs gave 0 and 1$/);
    await pool.close();
  });

  test("rejects a proposal with no inputs without running anything", async () => {
    const pool = new RuntimePool({ language: "python", limits: { ...DEFAULT_LIMITS }, size: 1, factory: () => new FakeRuntime(0, () => ok("1")) });
    const v = await validate(pool, { type: "induction", program: "def f(a):\n    return a", inputs: [] });
    expect(v).toEqual({ valid: false, reason: "a proposal needs non-empty inputs" });
    expect(pool.stats().jobs).toBe(0);
    await pool.close();
  });
});
