// The CPU's instruction-set class, as far as it changes onnxruntime's float results. ORT's CPU
// kernels (MLAS) pick their GEMM and activation code by instruction set, so a model run repeats
// bit for bit on one class of CPU but not across classes (AVX2 and AVX-512 sum in other orders).
// The simulator's plain JavaScript arithmetic is the same everywhere.

import { readFileSync } from "node:fs";

export type CpuClass = string;

/** e.g. "x64-avx512f", "x64-avx2", "x64", "arm64". */
export function cpuClass(): CpuClass {
  if (process.arch !== "x64") return process.arch;
  let flags = "";
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
  } catch {
    return "x64";
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  return has("avx512f") ? "x64-avx512f" : has("avx2") && has("fma") ? "x64-avx2" : "x64";
}
