// `bun run corpus --controlled OUT.jsonl` as a user runs it: both files written, a one-line
// summary, readable by --inspect, and never an overwrite.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSpanClasses } from "../../../src/data/controlled/classify.ts";

setDefaultTimeout(60_000);

const repo = join(import.meta.dir, "..", "..", "..");
const CLI = join(repo, "src", "cli", "corpus.ts");
const dir = mkdtempSync(join(tmpdir(), "spz-controlled-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function corpus(...args: string[]) {
  const p = Bun.spawnSync(["bun", CLI, ...args], { stdout: "pipe", stderr: "pipe", cwd: repo });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

test("--controlled writes the JSONL and its .classes.json, prints one summary line, and --inspect reads one passage per document", () => {
  const out = join(dir, "cc.jsonl");
  const r = corpus("--controlled", out, "--seed", "5", "--docs", "120");
  expect(r.code).toBe(0);
  expect(r.out.trim().split("\n")).toHaveLength(1);
  expect(r.out).toMatch(/^wrote .*cc\.jsonl \(120 docs, \d+ words, \d+ KiB\) and .*cc\.classes\.json: spans trivial \d+, learnable \d+, noise 120; .* seed 5, generator v1$/m);
  expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(120);
  expect(loadSpanClasses(out)?.byKey.size).toBe(120);
  const i = corpus("--inspect", out, "--min-words", "20", "--max-words", "60", "--json");
  expect(i.code).toBe(0);
  const s = JSON.parse(i.out.trim().split("\n").at(-1)!) as { documents: number; passages: { total: number } };
  expect(s.documents).toBe(120);
  expect(s.passages.total).toBe(120);
});

test("the same seed from the CLI gives the same bytes", () => {
  const a = join(dir, "a.jsonl");
  const b = join(dir, "b.jsonl");
  expect(corpus("--controlled", a, "--docs", "30").code).toBe(0);
  expect(corpus("--controlled", b, "--docs", "30").code).toBe(0);
  expect(readFileSync(b, "utf8")).toBe(readFileSync(a, "utf8"));
});

test.each([
  ["corpus", "taken.jsonl", "taken.jsonl"],
  ["sidecar", "orphan.jsonl", "orphan.classes.json"],
])("an existing %s file is never overwritten: exit 2, one line, nothing written", (_what, target, existing) => {
  const path = join(dir, existing);
  writeFileSync(path, "keep me\n");
  const r = corpus("--controlled", join(dir, target), "--docs", "10");
  expect(r.code).toBe(2);
  expect(r.err.trim()).toMatch(/already exists; refusing to overwrite it; accepted: /);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(readFileSync(path, "utf8")).toBe("keep me\n");
  if (existing !== target) expect(existsSync(join(dir, target))).toBe(false);
});

test.each([
  [["--docs", "10", "--inspect", "factbook"], /--docs sizes the corpus --controlled writes/],
  [["--controlled", join(dir, "x.jsonl"), "--inspect", "factbook"], /pass one of them/],
  [["--controlled", join(dir, "y.jsonl"), "--docs", "0"], /docs/],
])("bad flags %j are a one-line usage error", (args, msg) => {
  const r = corpus(...args);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(msg);
});

test("--help names --controlled and --docs", () => {
  const r = corpus("--help");
  expect(r.code).toBe(0);
  expect(r.out).toContain("--controlled");
  expect(r.out).toContain("--docs");
});
