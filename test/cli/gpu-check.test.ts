// scripts/gpu-check.sh on a machine without a GPU: one clear line and exit 3, nothing run.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";

const hasGpu = existsSync("/dev/nvidiactl") && existsSync("/proc/driver/nvidia/version");
if (hasGpu) console.log("skip (test/cli/gpu-check.test.ts): this machine has an NVIDIA GPU; run bash scripts/gpu-check.sh");

test.skipIf(hasGpu)("without a GPU the check says so in one line and exits 3", () => {
  const p = Bun.spawnSync(["bash", join(import.meta.dir, "../../scripts/gpu-check.sh")], { stdout: "pipe", stderr: "pipe" });
  expect(p.exitCode).toBe(3);
  expect(p.stdout.toString().trim()).toBe("gpu-check: no GPU here (no /dev/nvidiactl or no NVIDIA driver loaded): nothing was checked");
});
