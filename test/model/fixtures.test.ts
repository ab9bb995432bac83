import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import { TextTokenizer } from "../../src/model/tokenizer.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const FIX = join(import.meta.dir, "../../fixtures");

interface Expected {
  weights_dtype: string;
  pad_id: number;
  sequences: { ids: number[]; token_logprobs: number[]; last_logprobs: number[] }[];
  batches: Record<"left" | "right", { input_ids: number[][]; attention_mask: number[][]; position_ids: number[][] }>;
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

describe.each(["tiny-qwen3", "tiny-llama"])("%s parity data", (dir) => {
  const cfg = loadDecoderConfig(join(FIX, dir));
  const exp: Expected = JSON.parse(readFileSync(join(FIX, dir, "expected.json"), "utf8"));

  test("stays under 1 MB in total", () => {
    const total = readdirSync(join(FIX, dir)).reduce((s, f) => s + statSync(join(FIX, dir, f)).size, 0);
    expect(total).toBeLessThan(1 << 20);
  });

  test("the config's vocabulary is the tokenizer's", () => {
    expect(cfg.vocabSize).toBe(TextTokenizer.load(join(FIX, dir)).vocabSize);
  });

  test("has sequences of different lengths with a log-prob per next token and a normalized last vector", () => {
    expect(new Set(exp.sequences.map((s) => s.ids.length)).size).toBeGreaterThan(1);
    for (const s of exp.sequences) {
      expect(s.token_logprobs.length).toBe(s.ids.length - 1);
      expect(s.token_logprobs.every((x) => x <= 0 && Number.isFinite(x))).toBe(true);
      expect(s.last_logprobs.length).toBe(cfg.vocabSize);
      expect(Math.abs(logSumExp(s.last_logprobs))).toBeLessThan(1e-12);
      expect(s.ids.every((id) => Number.isInteger(id) && id >= 0 && id < cfg.vocabSize)).toBe(true);
      // Peaked, not uniform, so a wrong decoder cannot pass a 1e-4 parity check by accident.
      expect(Math.max(...s.last_logprobs) - -Math.log(cfg.vocabSize)).toBeGreaterThan(1);
    }
  });

  test("padded batches hold the same sequences, masked, on both sides", () => {
    for (const side of ["right", "left"] as const) {
      const b = exp.batches[side];
      const width = Math.max(...exp.sequences.map((s) => s.ids.length));
      exp.sequences.forEach((s, i) => {
        expect(b.input_ids[i].length).toBe(width);
        const real = b.input_ids[i].filter((_, j) => b.attention_mask[i][j] === 1);
        expect(real).toEqual(s.ids);
        const pads = b.input_ids[i].filter((_, j) => b.attention_mask[i][j] === 0);
        expect(pads.every((id) => id === exp.pad_id)).toBe(true);
        const realPos = b.position_ids[i].filter((_, j) => b.attention_mask[i][j] === 1);
        expect(realPos).toEqual(s.ids.map((_, j) => j));
      });
    }
  });
});
