// The GPU check's steps after scripts/gpu-check.sh found a device (see that script). Each step
// prints one table row; the run ends with a JSON line of every figure. Nothing here is measured on
// a machine without a GPU: the script stops before it.

import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

function cli(argv: string[]) {
  const t0 = performance.now();
  const p = Bun.spawnSync(["bun", MAIN, ...argv], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const out = p.stdout.toString();
  return { code: p.exitCode, out, err: p.stderr.toString(), seconds: (performance.now() - t0) / 1000, last: out.trim().split("\n").at(-1) ?? "" };
}

const results: Record<string, unknown> = {};
let failed = false;
const row = (what: string, ok: boolean, detail: string) => {
  if (!ok) failed = true;
  console.log(`${ok ? "ok  " : "FAIL"}  ${what.padEnd(34)} ${detail}`);
};

// 1. The provider, the libraries and the device.
const setup = cli(["setup-cuda", ...(opt("--from") ? ["--from", opt("--from")!] : []), ...(opt("--python") ? ["--python", opt("--python")!] : []), "--json"]);
process.stdout.write(setup.out.split("\n").slice(0, -2).join("\n") + "\n");
row("CUDA execution provider ready", setup.code === 0, setup.code === 0 ? "setup-cuda: ready" : setup.last);
if (setup.code !== 0) process.exit(1);

// 2. CPU-vs-CUDA log-probs on the fixtures.
const TEXT = "The economy of France is one of the largest in the world, and Paris is its capital.";
let worst = 0;
for (const model of ["fixtures/tiny-llama", "fixtures/tiny-qwen3", "fixtures/default-model"]) {
  const [cpu, cuda] = (["cpu", "cuda"] as const).map((device) => cli(["score", "--model", model, "--text", TEXT, "--no-full", "--device", device, "--json"]));
  if (cpu!.code !== 0 || cuda!.code !== 0) {
    row(`log-probs ${model}`, false, (cuda!.code !== 0 ? cuda! : cpu!).err.trim().split("\n").at(-1) ?? "");
    continue;
  }
  const a = (JSON.parse(cpu!.last) as { nextTokenLogprobs: number[] }).nextTokenLogprobs;
  const b = (JSON.parse(cuda!.last) as { nextTokenLogprobs: number[] }).nextTokenLogprobs;
  const err = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
  worst = Math.max(worst, err);
  results[`parity:${model}`] = err;
  row(`log-probs ${model}`, err <= 1e-3, `worst |cpu - cuda| = ${err.toExponential(2)} over ${a.length} tokens (limit 1e-3)`);
}
results.parityWorst = worst;

// 3. A PretrainZero step and an Absolute Zero step on the CUDA EP.
for (const [name, argv] of [
  ["PretrainZero step (default model)", ["train", "--steps", "1", "--passages", "4", "--device", "cuda", "--runs-dir", join(ROOT, "runs/gpu-check"), "--json"]],
  ["Absolute Zero step (tiny fixture)", ["train", "--task", "azr", "--model", "fixtures/tiny-llama", "--steps", "1", "--passages", "2", "--device", "cuda", "--runs-dir", join(ROOT, "runs/gpu-check"), "--json"]],
] as const) {
  const r = cli([...argv]);
  results[name] = { code: r.code, seconds: r.seconds };
  row(name, r.code === 0, r.code === 0 ? `${r.seconds.toFixed(1)} s` : (r.err.trim().split("\n").at(-1) ?? ""));
}

// 4. The engine's and real decoders' steps on the GPU.
const bench = cli(["bench", "--device", "cuda", "--only", "train,generate,model-train", "--json"]);
process.stdout.write(bench.out);
row("bench --device cuda", bench.code === 0, bench.code === 0 ? "above" : (bench.err.trim().split("\n").at(-1) ?? ""));
if (bench.code === 0) results.bench = JSON.parse(bench.last);
// Not in the repo yet: the same train step in PyTorch eager for the ratio (see the README).
console.log("n/a   PyTorch eager ratio                not measured: this check has no PyTorch train step of its own yet");
console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
