#!/usr/bin/env bash
# The GPU check: run it on a machine with an NVIDIA GPU; it needs no network.
#   bash scripts/gpu-check.sh [--from DIR_OR_TGZ] [--python PYTHON]
# 1. installs ORT's CUDA provider (bun run setup-cuda; --from for an offline machine) and checks the
#    CUDA libraries and the device; 2. compares CPU and CUDA log-probs of the fixtures (worst error,
#    limit 1e-3); 3. runs a PretrainZero step and an Absolute Zero step with --device cuda;
# 4. runs bench --device cuda; 5. times the LoRA GRPO step of the Qwen3-0.6B configuration (random
#    weights) and the same step in PyTorch eager (scripts/torch_grpo_step.py, with --python's torch;
#    strict fp32 and TF32), from the same adapters, and prints the ratio.
# Exit codes: 0 all passed, 1 a check failed, 3 no GPU here. `bun src/bench/gpu-check.ts --rehearse`
# runs the same steps on the CPU with tiny sizes (what the tests do; its figures mean nothing).
set -uo pipefail
cd "$(dirname "$0")/.."

BUN="${BUN:-}"
if [ -z "$BUN" ]; then
  for b in bun ./bun ./.bun/bin/bun "$HOME/.bun/bin/bun"; do
    if command -v "$b" >/dev/null 2>&1; then BUN="$b"; break; fi
  done
fi
if [ -z "$BUN" ]; then echo "gpu-check: no bun binary (put it on PATH, at ./bun, or set BUN=...)"; exit 1; fi

if [ ! -e /dev/nvidiactl ] || [ ! -e /proc/driver/nvidia/version ]; then
  echo "gpu-check: no GPU here (no /dev/nvidiactl or no NVIDIA driver loaded): nothing was checked"
  exit 3
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L

exec "$BUN" src/bench/gpu-check.ts "$@"
