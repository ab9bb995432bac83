import { expect, setDefaultTimeout, test } from "bun:test";
import { Progress } from "../../src/cli/progress.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 200, write: (s: string) => out.push(s) } };
}

test("on a terminal the status line is redrawn in place", () => {
  const s = sink(true);
  const p = new Progress({ total: 4, label: "step", stream: s.stream });
  p.update(1, { pred_acc: 0.5 });
  p.update(2, { pred_acc: 0.625 });
  p.done();
  expect(s.out[0]!.startsWith("\r\x1b[2Kstep 1/4")).toBe(true);
  expect(s.out[1]).toContain("pred_acc 0.625");
  expect(s.out.at(-1)).toBe("\n");
});

test("off a terminal it prints plain periodic lines and always the last one", () => {
  const s = sink(false);
  const p = new Progress({ total: 3, label: "step", every: 3600, stream: s.stream });
  p.update(1);
  p.update(2);
  p.update(3);
  expect(s.out).toHaveLength(2);
  expect(s.out.every((l) => !l.includes("\r") && l.endsWith("\n"))).toBe(true);
  expect(s.out[1]).toMatch(/^step 3\/3 .*eta 0m00s/);
});
