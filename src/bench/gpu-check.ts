// The GPU check's steps after scripts/gpu-check.sh found a device (see that script). Each step
// prints one table row; the run ends with a JSON line of every figure.
//
// --rehearse runs every step with "cuda" replaced by the CPU, tiny sizes and no setup-cuda, so a
// test can exercise the whole script on a machine without a GPU. Its figures mean nothing.

import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
const GRPO = join(ROOT, "src/bench/grpo-step.ts");
const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const rehearse = args.includes("--rehearse");
const device = rehearse ? "cpu" : "cuda";
const runsDir = opt("--runs-dir") ?? join(ROOT, "runs/gpu-check");

function run(cmd: string[]) {
  const t0 = performance.now();
  const p = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, SPZ_PROGRESS: "off" } });
  const out = p.stdout.toString();
  const err = p.stderr.toString();
  const lastLine = (s: string) => s.trim().split("\n").at(-1) ?? "";
  return { code: p.exitCode, out, err, seconds: (performance.now() - t0) / 1000, last: lastLine(out), why: lastLine(err) || lastLine(out) };
}
const cli = (argv: string[]) => run([process.execPath, MAIN, ...argv]);

const results: Record<string, unknown> = { rehearsal: rehearse };
let failed = false;
const row = (what: string, ok: boolean, detail: string) => {
  if (!ok) failed = true;
  console.log(`${ok ? "ok  " : "FAIL"}  ${what.padEnd(36)} ${detail}`);
};

// 1. The provider, the libraries and the device.
if (!rehearse) {
  const setup = cli(["setup-cuda", ...(opt("--from") ? ["--from", opt("--from")!] : []), ...(opt("--python") ? ["--python", opt("--python")!] : []), "--json"]);
  process.stdout.write(setup.out.split("\n").slice(0, -2).join("\n") + "\n");
  row("CUDA execution provider ready", setup.code === 0, setup.code === 0 ? "setup-cuda: ready" : setup.why);
  if (setup.code !== 0) process.exit(1);
}

// 2. CPU-vs-CUDA log-probs on the fixtures.
const TEXT = "The economy of France is one of the largest in the world, and Paris is its capital.";
let worst = 0;
for (const model of ["fixtures/tiny-llama", "fixtures/tiny-qwen3", "fixtures/default-model"]) {
  const [cpu, gpu] = (["cpu", device] as const).map((d) => cli(["score", "--model", model, "--text", TEXT, "--no-full", "--device", d, "--json"]));
  if (cpu!.code !== 0 || gpu!.code !== 0) {
    row(`log-probs ${model}`, false, (gpu!.code !== 0 ? gpu! : cpu!).why);
    continue;
  }
  const a = (JSON.parse(cpu!.last) as { nextTokenLogprobs: number[] }).nextTokenLogprobs;
  const b = (JSON.parse(gpu!.last) as { nextTokenLogprobs: number[] }).nextTokenLogprobs;
  const err = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
  worst = Math.max(worst, err);
  results[`parity:${model}`] = err;
  row(`log-probs ${model}`, err <= 1e-3, `worst |cpu - ${device}| = ${err.toExponential(2)} over ${a.length} tokens (limit 1e-3)`);
}
results.parityWorst = worst;

// 3. A PretrainZero step and an Absolute Zero step on the CUDA EP.
for (const [name, argv] of [
  ["PretrainZero step (default model)", ["train", "--steps", "1", "--passages", "4", "--device", device, "--runs-dir", runsDir, "--json"]],
  ["Absolute Zero step (tiny fixture)", ["train", "--task", "azr", "--model", "fixtures/tiny-llama", "--steps", "1", "--passages", "2", "--device", device, "--runs-dir", runsDir, "--json"]],
] as const) {
  const r = cli([...argv]);
  results[name] = { code: r.code, seconds: r.seconds };
  row(name, r.code === 0, r.code === 0 ? `${r.seconds.toFixed(1)} s` : r.why);
}

// 4. The engine's and real decoders' steps on the GPU.
const bench = cli(["bench", "--device", device, "--only", "train,generate,model-train", "--json", ...(rehearse ? ["--quick"] : [])]);
process.stdout.write(bench.out.split("\n").slice(0, -2).join("\n") + "\n");
row(`bench --device ${device}`, bench.code === 0, bench.code === 0 ? "above" : bench.why);
if (bench.code === 0) results.bench = JSON.parse(bench.last);

// 5. The LoRA GRPO step of the Qwen3-0.6B configuration (random weights), ours and PyTorch eager's
// (scripts/torch_grpo_step.py) on the same folder, from the same adapters, with the same batch.
const python = opt("--python") ?? "python3";
const shape = rehearse ? ["--batch", "2", "--length", "32", "--rank", "4", "--steps", "2"] : ["--batch", "4", "--length", "256", "--rank", "16", "--steps", "5"];
const folder = rehearse ? { code: 0, last: join(ROOT, "fixtures/tiny-qwen3"), why: "" } : run([process.execPath, GRPO, "--config", "qwen3-0.6b", "--print-model"]);
const adapters = join(runsDir, "grpo-step-adapters");
const ours = folder.code === 0 ? run([process.execPath, GRPO, "--model", folder.last, "--device", device, ...shape, "--save-adapters", adapters, "--json"]) : folder;
interface Step {
  stepMsMedian: number;
  tokensPerSec: number;
  losses: number[];
  fedBytes?: number;
  fetchedBytes?: number;
}
const parse = (r: { code: number | null; last: string }) => (r.code === 0 ? (JSON.parse(r.last) as Step) : undefined);
const mine = parse(ours);
const what = rehearse ? "tiny-qwen3" : "qwen3-0.6b";
row(`engine LoRA GRPO step (${what})`, !!mine, mine ? `${mine.stepMsMedian.toFixed(1)} ms, ${mine.tokensPerSec.toFixed(0)} tok/s; fed ${(mine.fedBytes! / 1e6).toFixed(2)} MB, fetched ${(mine.fetchedBytes! / 1e6).toFixed(2)} MB per step` : ours.why);
results.engineGrpo = mine;
for (const tf32 of [false, true]) {
  const name = `PyTorch eager (${tf32 ? "TF32 matmuls" : "strict fp32"})`;
  if (!mine) {
    row(name, false, "not run: the engine's step failed");
    continue;
  }
  const torch = run([python, join(ROOT, "scripts/torch_grpo_step.py"), "--model", folder.last, "--device", device, ...shape, "--adapters", adapters, "--json", ...(tf32 ? ["--tf32"] : [])]);
  const theirs = parse(torch);
  if (!theirs) {
    row(name, false, torch.why);
    continue;
  }
  const ratio = mine.stepMsMedian / theirs.stepMsMedian;
  const lossGap = Math.abs(mine.losses[0]! - theirs.losses[0]!);
  results[tf32 ? "torchTf32" : "torchFp32"] = { ...theirs, ratio, firstLossGap: lossGap };
  // The first step starts from the same adapters: its loss agrees whatever the speed.
  row(name, lossGap <= 1e-3, `${theirs.stepMsMedian.toFixed(1)} ms, ${theirs.tokensPerSec.toFixed(0)} tok/s; ours/PyTorch = ${ratio.toFixed(2)}x (target <= 1.2x: ${ratio <= 1.2 ? "met" : "NOT met"}); first-step loss gap ${lossGap.toExponential(2)}`);
}
console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
