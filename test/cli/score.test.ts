// `score` is the parity tool: its JSON must match the independent torch reference to 1e-4.

import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const root = join(import.meta.dir, "../..");

function score(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, "score", ...args], { stdout: "pipe", stderr: "pipe", cwd: root });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

for (const model of ["tiny-qwen3", "tiny-llama"]) {
  test(`score --ids on ${model} matches the torch reference within 1e-4`, async () => {
    const expected = await Bun.file(join(root, "fixtures", model, "expected.json")).json();
    const seq = expected.sequences[0] as { ids: number[]; token_logprobs: number[]; last_logprobs: number[] };
    const r = score("--model", join("fixtures", model), "--ids", seq.ids.join(","), "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out.trim().split("\n")[0]!);
    const err = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
    expect(out.nextTokenLogprobs).toHaveLength(seq.token_logprobs.length);
    expect(err(out.nextTokenLogprobs, seq.token_logprobs)).toBeLessThanOrEqual(1e-4);
    expect(err(out.lastLogprobs, seq.last_logprobs)).toBeLessThanOrEqual(1e-4);
  });
}

test("score refuses bad input with one line and exit 2", () => {
  for (const r of [
    score("--model", "fixtures/tiny-llama", "--ids", "1,x"),
    score("--model", "fixtures/tiny-llama"),
    score("--model", "fixtures/nope", "--ids", "1"),
  ]) {
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  }
});
