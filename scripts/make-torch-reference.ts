// Writes fixtures/torch-reference/grpo-lora.json: three LoRA GRPO steps on the tiny fixtures as
// scripts/torch_grpo_step.py (PyTorch eager, written independently) computes them. The values are
// committed; test/model/torch-reference.test.ts checks the engine against them without Python.
//
//   bun scripts/make-torch-reference.ts [--python /usr/bin/python3]   (Debian's python3-torch does)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrainSequence } from "../src/model/lm-trainer.ts";
import { type LoadedModel, loadModel } from "../src/model/model.ts";

/** Both tiny fixtures (Qwen3: q/k norms, tied head; Llama: one KV head, untied head, BF16 weights). */
const REFERENCE_CASES = [
  { model: "fixtures/tiny-qwen3", rank: 4, alpha: 8, lr: 0.002, steps: 3 },
  { model: "fixtures/tiny-llama", rank: 4, alpha: 8, lr: 0.002, steps: 3 },
] as const;

/**
 * Three sequences of different lengths (padding in the bucket), completions of 9-17 tokens, and
 * behaviour log-probs the current ones shifted by ±0.05-0.4, so some tokens are clipped and most are not.
 */
async function referenceBatch(model: LoadedModel): Promise<TrainSequence[]> {
  const V = model.config.vocabSize;
  const shapes = [
    { n: 20, start: 8, advantage: 1.2 },
    { n: 13, start: 4, advantage: -0.7 },
    { n: 27, start: 10, advantage: 0.4 },
  ];
  const seqs = shapes.map(({ n }, b) => Array.from({ length: n }, (_, i) => (i * 131 + b * 17 + 3) % V));
  const scored = await model.logprobs(seqs);
  const shifts = [0.05, -0.1, 0.4, -0.3, 0.2, -0.05, 0.1];
  return shapes.map(({ start, advantage }, b) => ({
    ids: seqs[b]!,
    completionStart: start,
    advantage,
    behaviourLogprobs: Float32Array.from(scored[b]!.logprobs.slice(start - 1), (x, i) => x + shifts[(i + b) % shifts.length]!),
  }));
}

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log("Usage: bun scripts/make-torch-reference.ts [--python PYTHON]\n\nRuns scripts/torch_grpo_step.py (PyTorch on the CPU; default /usr/bin/python3) on the tiny fixtures\nand writes fixtures/torch-reference/grpo-lora.json.");
  process.exit(0);
}
const python = process.argv.includes("--python") ? process.argv[process.argv.indexOf("--python") + 1]! : "/usr/bin/python3";
const root = join(import.meta.dir, "..");
const out: unknown[] = [];
let torchVersion = "";
for (const c of REFERENCE_CASES) {
  const model = loadModel(join(root, c.model), { lora: { rank: c.rank, alpha: c.alpha }, deterministic: true });
  const tmp = mkdtempSync(join(tmpdir(), "spz-torch-ref-"));
  try {
    const batch = await referenceBatch(model);
    model.saveAdapters(join(tmp, "adapters"));
    writeFileSync(join(tmp, "batch.json"), JSON.stringify(batch.map((s) => ({ ...s, behaviourLogprobs: Array.from(s.behaviourLogprobs) }))));
    const args = [join(root, "scripts/torch_grpo_step.py"), "--model", join(root, c.model), "--device", "cpu", "--rank", String(c.rank), "--alpha", String(c.alpha)];
    args.push("--lr", String(c.lr), "--steps", String(c.steps - 1), "--adapters", join(tmp, "adapters"), "--batch-file", join(tmp, "batch.json"), "--json");
    const p = Bun.spawnSync([python, ...args], { stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) {
      console.error(`make-torch-reference: ${python} scripts/torch_grpo_step.py failed: ${p.stderr.toString().trim().split("\n").at(-1)}`);
      rmSync(tmp, { recursive: true, force: true });
      process.exit(1);
    }
    const r = JSON.parse(p.stdout.toString().trim().split("\n").at(-1)!) as { torch: string; losses: number[]; gradNorms: number[] };
    torchVersion = r.torch;
    out.push({ ...c, batch: batch.map((s) => ({ ...s, behaviourLogprobs: Array.from(s.behaviourLogprobs) })), losses: r.losses, gradNorms: r.gradNorms });
    console.log(`${c.model}: losses ${r.losses.map((x) => x.toFixed(7)).join(", ")}; grad norms ${r.gradNorms.map((x) => x.toFixed(7)).join(", ")}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await model.release();
  }
}
mkdirSync(join(root, "fixtures/torch-reference"), { recursive: true });
writeFileSync(
  join(root, "fixtures/torch-reference/grpo-lora.json"),
  JSON.stringify({ about: "LoRA GRPO steps by scripts/torch_grpo_step.py (PyTorch eager, CPU, fp32); made by scripts/make-torch-reference.ts", torch: torchVersion, cases: out }, null, 1) + "\n",
);
