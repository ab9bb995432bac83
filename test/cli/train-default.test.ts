// The shipped model trains out of the box: one short step from any working directory.

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), "spz-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");

test("train with no model flag uses the shipped model and writes metrics with the step-time breakdown", () => {
  const p = Bun.spawnSync(["bun", MAIN, "train", "--steps", "1", "--passages", "2", "--run", "d", "--json"], { stdout: "pipe", stderr: "pipe", cwd: dir });
  expect(p.exitCode).toBe(0);
  const summary = JSON.parse(p.stdout.toString().trim().split("\n").at(-1)!);
  expect(summary.backend).toBe("model");
  expect(summary.sampledTokens).toBeGreaterThan(0);
  const row = JSON.parse(readFileSync(join(dir, "runs", "d", "metrics.jsonl"), "utf8").trim());
  expect(row.wall.timeSampleS).toBeGreaterThan(0);
  expect(row.wall.elapsedS).toBeGreaterThan(0);
  expect(row.responseLen).toBeGreaterThan(0);
  expect(typeof row.lr).toBe("number");
  const cfg = JSON.parse(readFileSync(join(dir, "runs", "d", "config.json"), "utf8"));
  expect(cfg.config.model.dir).toMatch(/fixtures\/default-model$/);
});
