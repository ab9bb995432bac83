// Bad input to `bun run study` is refused in one line, exit 2, before anything runs.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

setDefaultTimeout(60_000);

const MAIN = join(import.meta.dir, "..", "..", "src", "cli", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "spz-study-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function study(...args: string[]) {
  const p = Bun.spawnSync(["bun", MAIN, "study", ...args], { stdout: "pipe", stderr: "pipe", cwd: join(import.meta.dir, "..", "..") });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString().trim() };
}

function refused(r: ReturnType<typeof study>, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.err.split("\n")).toHaveLength(1);
  expect(r.err).toMatch(message);
}

test("--help explains the command with examples", () => {
  const r = study("--help");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^study: /);
  expect(r.out).toContain("Examples:");
  expect(r.out).toContain("--quick");
});

test("an unknown method is refused, naming the accepted ones", () => {
  const out = join(dir, "a");
  refused(study("--out", out, "--methods", "base,spanbert"), /^error: unknown method "spanbert" in --methods; accepted: base, pretrainzero, random-span/);
  expect(existsSync(out)).toBe(false);
});

test("--seeds 0 is refused", () => {
  refused(study("--out", join(dir, "b"), "--seeds", "0"), /^error: --seeds 0: a count must be between 1 and 1000/);
});

test("a train flag the study sets is refused after --", () => {
  refused(study("--out", join(dir, "c"), "--", "--seed", "3"), /^error: --seed after -- is set by the study/);
});

test("a bad train flag after -- is refused before the folder records a plan", () => {
  const out = join(dir, "typo");
  refused(study("--out", out, "--", "--lr", "abc"), /^error: --lr must be a number/);
  expect(existsSync(out)).toBe(false);
});

test("a study folder that holds another plan is refused, naming the difference", () => {
  const out = join(dir, "d");
  mkdirSync(out);
  const plan = {
    methods: ["base"],
    seeds: [1],
    train: { model: "m", steps: 2, passages: 2, corpus: "factbook", minWords: 20, maxWords: 60, textField: "text", template: "compact", extra: [] },
    eval: { limit: 10, seed: 0 },
  };
  writeFileSync(join(out, "study.json"), JSON.stringify({ plan, command: "x", created: "" }));
  refused(study("--out", out, "--methods", "base,random-span"), /^error: study folder .* holds another plan \(methods: base → base,random-span\); accepted: the same flags/);
  expect(existsSync(join(out, "runs"))).toBe(false);
});
