import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../src/model/model.ts";

setDefaultTimeout(60_000);

// Values from scripts/torch_grpo_step.py (PyTorch eager, written from HF's and the papers'
// definitions) on the same fixture, adapters and batch; remade by scripts/make-torch-reference.ts.
interface Case {
  model: string;
  rank: number;
  alpha: number;
  lr: number;
  steps: number;
  batch: { ids: number[]; completionStart: number; advantage: number; behaviourLogprobs: number[] }[];
  losses: number[];
  gradNorms: number[];
}
const ROOT = join(import.meta.dir, "../..");
const reference = JSON.parse(readFileSync(join(ROOT, "fixtures/torch-reference/grpo-lora.json"), "utf8")) as { torch: string; cases: Case[] };

describe("LoRA GRPO steps against PyTorch eager", () => {
  for (const c of reference.cases) {
    test(`${c.model}: ${c.steps} steps give PyTorch's losses and gradient norms (forward, backward, clip, AdamW)`, async () => {
      const model = loadModel(join(ROOT, c.model), { lora: { rank: c.rank, alpha: c.alpha }, deterministic: true });
      try {
        const batch = c.batch.map((s) => ({ ...s, behaviourLogprobs: Float32Array.from(s.behaviourLogprobs) }));
        const losses: number[] = [];
        const norms: number[] = [];
        for (let i = 0; i < c.steps; i++) {
          const r = await model.trainStep(batch, { lr: c.lr, epsLow: 0.2, epsHigh: 0.28 });
          losses.push(r.loss);
          norms.push(r.gradNorm);
        }
        for (let i = 0; i < c.steps; i++) {
          expect(Math.abs(losses[i]! - c.losses[i]!)).toBeLessThan(5e-6);
          expect(Math.abs(norms[i]! - c.gradNorms[i]!) / c.gradNorms[i]!).toBeLessThan(5e-5);
        }
        // The steps moved the loss: a wrong update would not land on PyTorch's later losses.
        expect(Math.abs(c.losses[2]! - c.losses[0]!)).toBeGreaterThan(0.05);
      } finally {
        await model.release();
      }
    });
  }
});
