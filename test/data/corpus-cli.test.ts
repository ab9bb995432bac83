// `bun run corpus --inspect PATH` as a user runs it: the report, --json, warnings, and exit code
// 2 with a one-line error (no stack trace) for bad input.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENWIKI_SAMPLE, sharedDataMissing } from "../helpers/shared-data.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const repo = join(import.meta.dir, "..", "..");
const CLI = join(repo, "src", "cli", "corpus.ts");
const FIX = join(repo, "fixtures", "corpus");
const ENWIKI = ENWIKI_SAMPLE;
const NO_SHARED = sharedDataMissing("test/data/corpus-cli.test.ts: enwiki --inspect");
const dir = mkdtempSync(join(tmpdir(), "spz-corpus-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function corpus(...args: string[]) {
  const p = Bun.spawnSync(["bun", CLI, ...args], { stdout: "pipe", stderr: "pipe", cwd: repo });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
const lastJson = (out: string): Record<string, unknown> => JSON.parse(out.trim().split("\n").at(-1)!);

test("--inspect of a dump prints documents, skips, passages and samples; --json ends with the summary", () => {
  const r = corpus("--inspect", join(FIX, "mini-dump.xml"), "--min-words", "20", "--samples", "2", "--json");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/documents: 2 of 6 pages; skipped 2 redirects, 2 pages outside the article namespace \(ns 1: 1, ns 14: 1\)/);
  expect(r.out).toMatch(/^passages: \d+ \(/m);
  expect(r.out).toMatch(/^samples:\n {2}\[1\] Lighthouse \(doc 1, \d+ words\): A lighthouse is/m);
  const s = lastJson(r.out);
  expect(s).toMatchObject({ ok: true, format: "mediawiki", records: 6, documents: 2, documentsSkipped: { redirect: 2, namespace: 2 } });
  expect((s.samples as unknown[]).length).toBe(2);
}, 20_000);

test.skipIf(NO_SHARED)("the real enwiki sample, head only with --max-docs", () => {
  const r = corpus("--inspect", ENWIKI, "--max-docs", "10", "--samples", "0", "--json");
  expect(r.code).toBe(0);
  const s = lastJson(r.out);
  expect(s).toMatchObject({ ok: true, format: "mediawiki", compression: "bzip2", documents: 10, truncated: true });
  expect((s.passages as { total: number }).total).toBeGreaterThan(100);
}, 60_000);

test("malformed JSONL lines are a warning on stderr and counted in the summary, not an error", () => {
  const r = corpus("--inspect", join(FIX, "wiki.jsonl"), "--min-words", "30", "--held-out", "0", "--json");
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/^warning: skipped 2 malformed JSONL lines in .*wiki\.jsonl \(lines 3, 8; /m);
  const s = lastJson(r.out);
  expect(s.documentsSkipped).toEqual({ "malformed-json": 2, "not-an-object": 1, "missing-text-field": 1 });
  expect(s.passages).toEqual({ total: 4, train: 4, heldOut: 0 });
  expect((s.passagesSkipped as { duplicate: number }).duplicate).toBe(1);
}, 20_000);

test("a positional PATH works like --inspect, and the embedded corpus is 'factbook'", () => {
  const r = corpus("factbook", "--samples", "1", "--json");
  expect(r.code).toBe(0);
  expect(lastJson(r.out)).toMatchObject({ ok: true, format: "factbook" });
}, 20_000);

test.each([
  ["an empty file", () => writeFileSync(join(dir, "empty.txt"), "") ?? join(dir, "empty.txt"), /is empty \(0 bytes\)/],
  ["a binary file", () => writeFileSync(join(dir, "blob.txt"), new Uint8Array([1, 0, 2, 0, 0, 0, 7, 9, 200])) ?? join(dir, "blob.txt"), /looks binary/],
  ["UTF-16", () => writeFileSync(join(dir, "u16.txt"), new Uint8Array([0xfe, 0xff, 0, 0x41, 0, 0x42])) ?? join(dir, "u16.txt"), /unsupported encoding UTF-16BE/],
  ["a dump with no articles", () => join(FIX, "no-articles.xml"), /^error: no articles in .*no-articles\.xml/],
  ["a missing file", () => join(dir, "missing.jsonl"), /no such file or directory/],
  ["no passages long enough", () => writeFileSync(join(dir, "tiny.txt"), "A few words.\n\nA few more.") ?? join(dir, "tiny.txt"), /no passages in .*tiny\.txt.*lower --min-words/],
])("%s: exit 2, one line on stderr, no stack trace, JSON error line with --json", (_name, make, pattern) => {
  const r = corpus("--inspect", make(), "--json");
  expect(r.code).toBe(2);
  const errLines = r.err.trim().split("\n");
  expect(errLines).toHaveLength(1);
  expect(errLines[0]).toMatch(/^error: /);
  expect(errLines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
  expect(lastJson(r.out)).toMatchObject({ ok: false, exitCode: 2 });
}, 20_000);

test("--debug adds the stack trace", () => {
  const r = corpus("--inspect", join(FIX, "no-articles.xml"), "--debug");
  expect(r.code).toBe(2);
  expect(r.err.trim().split("\n").length).toBeGreaterThan(1);
}, 20_000);

test("usage errors exit 2: nothing to inspect, bad flag values", () => {
  expect(corpus().code).toBe(2);
  expect(corpus().err).toMatch(/nothing to inspect/);
  expect(corpus("--inspect", "factbook", "--held-out", "2").code).toBe(2);
  expect(corpus("--inspect", "factbook", "--min-words", "100", "--max-words", "50").err).toMatch(/--min-words 100 is above --max-words 50/);
  expect(corpus("--inspect", "factbook", "--format", "csv").code).toBe(2);
}, 30_000);

test("--help lists the flags", () => {
  const r = corpus("--help");
  expect(r.code).toBe(0);
  for (const f of ["--inspect", "--format", "--text-field", "--min-words", "--max-words", "--held-out", "--samples", "--json"]) expect(r.out).toContain(f);
}, 20_000);
