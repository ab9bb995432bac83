// An exported model's generation_config.json is the base model's own, as transformers'
// save_pretrained keeps it: Qwen3 and Llama 3 instruct models list several end-of-turn ids there
// (config.json names only one) and recommend their sampling settings; neither may be lost.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), "spz-export-gencfg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const LLAMA = join(import.meta.dir, "../../fixtures/tiny-llama");

// Shaped as Qwen3-0.6B's: config.json says eos 656 only, generation_config.json adds 657.
const BASE_GENERATION = { bos_token_id: 659, eos_token_id: [656, 657], pad_token_id: 657, do_sample: true, temperature: 0.6, top_k: 20, top_p: 0.95 };

beforeAll(() => {
  const base = join(dir, "base");
  cpSync(LLAMA, base, { recursive: true });
  writeFileSync(join(base, "generation_config.json"), JSON.stringify(BASE_GENERATION));
  const p = Bun.spawnSync(
    ["bun", MAIN, "train", "--model", base, "--task", "rlp", "--steps", "1", "--passages", "2", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2", "--transport", "inproc", "--run", "r"],
    { stdout: "pipe", stderr: "pipe", cwd: dir },
  );
  if (p.exitCode !== 0) throw new Error(`train: ${p.stderr.toString()}`);
});

test("final/generation_config.json keeps the base model's end-of-turn ids and sampling settings", () => {
  const g = JSON.parse(readFileSync(join(dir, "runs", "r", "final", "generation_config.json"), "utf8"));
  expect(g).toEqual(BASE_GENERATION);
});
