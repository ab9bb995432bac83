import { describe, expect, test } from "bun:test";
import { rng } from "../../../src/runtime/rng.ts";
import { AZR_TASK_TYPES, IDENTITY_TRIPLET, TaskBuffers, type Triplet } from "../../../src/tasks/azr/index.ts";

const key = (item: number) => rng({ seed: 7, step: 3, role: "propose", item });
const triplet = (i: number): Triplet => ({ program: `def f(a):\n    return a + ${i}`, input: `${i}`, output: `${2 * i}` });

function filled(): TaskBuffers {
  const b = new TaskBuffers();
  for (let i = 0; i < 40; i++) b.add("deduction", triplet(i));
  b.add("induction", { ...triplet(1), message: "adds one — ünïcode ✓" });
  return b;
}

describe("TaskBuffers", () => {
  test("every type starts with the identity triplet def f(a): return a", () => {
    const b = new TaskBuffers();
    for (const type of AZR_TASK_TYPES) {
      expect(b.size(type)).toBe(1);
      expect(b.get(type, 0)).toEqual({ program: "def f(a):\n    return a", input: "'Hello World'", output: "'Hello World'" });
    }
  });

  test("add dedupes by program and input, per type", () => {
    const b = new TaskBuffers();
    expect(b.add("abduction", triplet(1))).toBe(true);
    expect(b.add("abduction", { ...triplet(1), output: "other" })).toBe(false);
    expect(b.add("abduction", { ...triplet(1), input: "5" })).toBe(true);
    expect(b.add("abduction", IDENTITY_TRIPLET)).toBe(false);
    expect(b.size("abduction")).toBe(3);
    expect(b.size("deduction")).toBe(1);
  });

  test("references draw K = 6 distinct triplets by default, fewer when the buffer is small", () => {
    const b = filled();
    const refs = b.references("deduction", undefined, key(0));
    expect(refs).toHaveLength(6);
    expect(new Set(refs.map((t) => t.input)).size).toBe(6);
    expect(b.references("abduction", 6, key(0))).toEqual([IDENTITY_TRIPLET]);
    expect(b.references("deduction", 100, key(0))).toHaveLength(41);
  });

  test("references are a pure function of the RNG key and vary with it", () => {
    const b = filled();
    expect(b.references("deduction", 6, key(0))).toEqual(b.references("deduction", 6, key(0)));
    const draws = new Set(Array.from({ length: 20 }, (_, i) => JSON.stringify(b.references("deduction", 6, key(i)))));
    expect(draws.size).toBeGreaterThan(15);
  });

  test("references cover the whole buffer roughly uniformly", () => {
    const b = filled();
    const counts = new Array<number>(41).fill(0);
    for (let i = 0; i < 2000; i++) for (const t of b.references("deduction", 6, key(i))) counts[t.program === IDENTITY_TRIPLET.program ? 40 : Number(t.input)]!++;
    // Expected 2000 * 6 / 41 ≈ 293 per triplet.
    expect(Math.min(...counts)).toBeGreaterThan(200);
    expect(Math.max(...counts)).toBeLessThan(400);
  });

  test("snapshot / restore round trips exactly and draws the same references", () => {
    const b = filled();
    const bytes = b.snapshot();
    const c = TaskBuffers.restore(bytes);
    expect(c.snapshot()).toEqual(bytes);
    expect(c.toJSON()).toEqual(b.toJSON());
    expect(c.references("deduction", 6, key(9))).toEqual(b.references("deduction", 6, key(9)));
    expect(c.get("induction", 1).message).toBe("adds one — ünïcode ✓");
    expect(c.add("deduction", triplet(3))).toBe(false);
  });

  test("restore refuses bytes that are not a snapshot", () => {
    expect(() => TaskBuffers.restore(new TextEncoder().encode("{}"))).toThrow("not a task-buffer snapshot");
    expect(() => TaskBuffers.restore(Uint8Array.of(0xff, 0xfe))).toThrow("not a task-buffer snapshot");
  });

  test("references return copies: editing them leaves the buffer unchanged", () => {
    const b = new TaskBuffers();
    b.references("deduction", 6, key(0))[0]!.output = "changed";
    expect(b.get("deduction", 0).output).toBe("'Hello World'");
  });
});
