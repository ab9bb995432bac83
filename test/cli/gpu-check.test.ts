// scripts/gpu-check.sh on a machine without a GPU: one clear line and exit 3, nothing run; and the
// check's steps rehearsed on the CPU (src/bench/gpu-check.ts --rehearse).
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const hasGpu = existsSync("/dev/nvidiactl") && existsSync("/proc/driver/nvidia/version");
if (hasGpu) console.log("skip (test/cli/gpu-check.test.ts): this machine has an NVIDIA GPU; run bash scripts/gpu-check.sh");

test.skipIf(hasGpu)("without a GPU the check says so in one line and exits 3", () => {
  const p = Bun.spawnSync(["bash", join(import.meta.dir, "../../scripts/gpu-check.sh")], { stdout: "pipe", stderr: "pipe" });
  expect(p.exitCode).toBe(3);
  expect(p.stdout.toString().trim()).toBe("gpu-check: no GPU here (no /dev/nvidiactl or no NVIDIA driver loaded): nothing was checked");
});

test("the check rehearsed on the CPU runs every step to its table and JSON line", () => {
  const runs = mkdtempSync(join(tmpdir(), "spz-gpu-check-"));
  try {
    const p = Bun.spawnSync([process.execPath, join(import.meta.dir, "../../src/bench/gpu-check.ts"), "--rehearse", "--python", "/usr/bin/python3", "--runs-dir", runs], { stdout: "pipe", stderr: "pipe" });
    const lines = p.stdout.toString().trim().split("\n");
    const rows = lines.filter((l) => /^(ok|FAIL) /.test(l));
    const names = rows.map((l) => l.slice(6, 42).trim());
    expect(names).toEqual([
      "log-probs fixtures/tiny-llama",
      "log-probs fixtures/tiny-qwen3",
      "log-probs fixtures/default-model",
      "PretrainZero step (default model)",
      "Absolute Zero step (tiny fixture)",
      "bench --device cpu",
      "engine LoRA GRPO step (tiny-qwen3)",
      "PyTorch eager (strict fp32)",
      "PyTorch eager (TF32 matmuls)",
    ]);
    // Everything of ours passes; PyTorch's rows pass where /usr/bin/python3 has torch, else name the missing module.
    for (const r of rows.slice(0, 7)) expect(r.startsWith("ok ")).toBe(true);
    for (const r of rows.slice(7)) expect(r.startsWith("ok ") || r.includes("No module named 'torch'")).toBe(true);
    expect(p.exitCode).toBe(rows.every((r) => r.startsWith("ok ")) ? 0 : 1);
    const summary = JSON.parse(lines.at(-1)!) as { rehearsal: boolean; parityWorst: number; engineGrpo: { losses: number[] }; torchFp32?: { firstLossGap: number } };
    expect(summary.rehearsal).toBe(true);
    expect(summary.parityWorst).toBe(0); // the CPU against itself
    expect(summary.engineGrpo.losses.length).toBe(3);
    if (summary.torchFp32) expect(summary.torchFp32.firstLossGap).toBeLessThan(1e-5);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
}, 180_000);
