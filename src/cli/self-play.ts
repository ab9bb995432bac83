// The one runner behind `train` and `simulate`: resolve the configuration, create the run folder,
// start the actors, show progress, append metrics, write checkpoints, and resume from them.

import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import type { ActorId, StepStats } from "../protocol/messages.ts";
import { learningRate } from "../rl/schedule.ts";
import { writeCheckpoint } from "../runtime/checkpoint.ts";
import { DEFAULT_RUN_CONFIG, episodesPerStep, type RunConfig, type TransportKind } from "../runtime/config.ts";
import type { LearnerTiming } from "../runtime/host.ts";
import { preflightRun } from "../runtime/preflight.ts";
import { runSelfPlay } from "../runtime/run.ts";
import { checkRunName, checkRunsRoot, createRunDir, defaultRunName, logOwnerPath, type RunDir, type SavedRun } from "../runtime/run-dir.ts";
import { applyResume, planResume } from "../runtime/resume.ts";
import { TEMPLATE_NAMES } from "../tasks/pretrainzero/prompts.ts";
import { REWARD_DESIGNS, type RewardDesign } from "../tasks/pretrainzero/rewards.ts";
import { TASK_NAMES, type TaskName } from "../tasks/baselines/masks.ts";
import { InputError, type FlagSpec, type ParsedArgs } from "./args.ts";
import { Progress } from "./progress.ts";
import { shippedPath } from "../runtime/paths.ts";

const D = DEFAULT_RUN_CONFIG;

/** Defaults that depend on the backend: the paper's batch for the simulator, a small one for a CPU model. */
export const BACKEND_DEFAULTS: Record<RunConfig["backend"], Partial<RunConfig> & { checkpointEvery: number }> = {
  sim: { steps: 100, passages: 32, genSamples: 8, predSamples: 8, chunk: 8, window: 4, template: "paper", checkpointEvery: 0 },
  model: {
    // Small enough for a CPU, large enough that a tiny model's predictor solves some masks (signal).
    steps: 15,
    passages: 8,
    genSamples: 4,
    predSamples: 8,
    chunk: 4,
    window: 2,
    template: "compact",
    corpus: { ...D.corpus, minWords: 20, maxWords: 60 },
    checkpointEvery: 5,
  },
};

const dflt = (what: string) => `default: ${what}`;

/** Flags that shape any self-play run. Undefined values fall back to the backend's defaults. */
export const RUN_FLAGS: FlagSpec[] = [
  { name: "steps", type: "int", min: 1, help: `GRPO steps (${dflt("sim 100, model 15")})` },
  { name: "seed", type: "int", min: 0, default: D.seed, help: "run seed; every random draw is keyed by it" },
  { name: "passages", type: "int", min: 1, help: `paragraphs per step (paper: 32; ${dflt("sim 32, model 8")})` },
  { name: "gen-samples", type: "int", min: 1, help: `generator rollouts per paragraph (paper: 8; ${dflt("sim 8, model 4")})` },
  { name: "pred-samples", type: "int", min: 1, help: `predictor rollouts per mask, G (paper: 8; ${dflt("sim 8, model 8")})` },
  { name: "task", type: "enum", values: TASK_NAMES, default: D.task, help: "pretrainzero, or a baseline where only the predictor trains: random-span (SpanBERT-style), next-token (cut at a random word), entropy (cut before a top-20%-entropy word, as RPT)" },
  { name: "design", type: "enum", values: REWARD_DESIGNS, default: D.design, help: "minmax: the paper's reward; plain: 1-acc; random: random masking, generator untrained" },
  { name: "mask-mode", type: "enum", values: ["all", "one", "words"], default: D.maskMode, help: "mask every occurrence (paper), one occurrence, or whole words only" },
  { name: "template", type: "enum", values: TEMPLATE_NAMES, help: `prompt templates: the paper's (with reasoning) or compact (${dflt("sim paper, model compact")})` },
  { name: "max-occurrences", type: "int", min: 1, default: D.maxOccurrences, help: "reject spans occurring this often in the paragraph" },
  { name: "corpus", type: "string", default: D.corpus.path, help: "corpus file or folder (txt, jsonl, MediaWiki .xml[.bz2], parquet) or factbook" },
  { name: "min-words", type: "int", min: 1, help: `shortest passage in words (${dflt("sim 40, model 20")})` },
  { name: "max-words", type: "int", min: 2, help: `longest passage in words (${dflt("sim 160, model 60")})` },
  { name: "text-field", type: "string", default: D.corpus.textField, help: "JSONL field holding the text" },
  { name: "chunk", type: "int", min: 1, help: "paragraphs per generator sample request" },
  { name: "window", type: "int", min: 1, help: "sample requests a sender may have in flight (bounds the learner's queue)" },
  { name: "transport", type: "enum", values: ["worker", "inproc"], default: "worker", help: "one Bun worker per actor, or all actors in this thread" },
  { name: "record", type: "path", help: "write every inter-actor message to this episode log (must not exist), e.g. runs/a.spzlog" },
  { name: "run", type: "string", help: "run name: writes runs/<name>/ (config.json, metrics.jsonl, checkpoints/); default <command>-<date>-<time>" },
  { name: "runs-dir", type: "path", default: "runs", help: "folder that holds run folders" },
  { name: "resume", type: "path", help: "continue the run in this folder from its newest good checkpoint" },
  { name: "stop-after", type: "int", min: 1, help: "stop once this many steps are done (resume later with --resume)" },
  { name: "checkpoint-every", type: "int", min: 0, help: `write a checkpoint every N steps, and at the end (0: never; ${dflt("sim 0, model 5")})` },
  { name: "eps-low", type: "number", min: 0, default: D.grpo.epsLow, help: "GRPO clip range below 1" },
  { name: "eps-high", type: "number", min: 0, default: D.grpo.epsHigh, help: "GRPO clip range above 1 (clip-higher)" },
  { name: "log-every", type: "int", min: 0, default: 0, help: "print a metrics row every N steps (0: about 20 rows)" },
];

export const SIM_FLAGS: FlagSpec[] = [
  { name: "gen-lr", type: "number", min: 0, default: D.sim.genLr, help: "simulated generator learning rate" },
  { name: "pred-lr", type: "number", min: 0, default: D.sim.predLr, help: "simulated predictor learning rate" },
  { name: "max-span-words", type: "int", min: 1, max: 16, default: D.sim.maxSpanWords, help: "longest candidate span of the simulated generator" },
];

const M = D.model;
export const MODEL_FLAGS: FlagSpec[] = [
  { name: "backend", type: "enum", values: ["model", "sim"], default: "model", help: "a language model on the engine, or the simulator" },
  { name: "model", type: "path", default: M.dir, help: "Hugging Face model folder (Llama/Qwen3 family)" },
  { name: "device", type: "enum", values: ["cpu", "cuda"], default: M.device, help: "execution provider; cuda fails with the reason when unavailable" },
  { name: "deterministic", type: "boolean", default: M.deterministic, help: "fixed threads and execution order: bit-identical reruns and resumes (--no-deterministic for speed)" },
  { name: "lora-rank", type: "int", min: 0, default: 0, help: "train LoRA adapters of this rank over a frozen base (0: train every weight)" },
  { name: "lora-alpha", type: "number", min: 0, default: 16, help: "LoRA alpha" },
  { name: "temperature", type: "number", min: 0, default: M.temperature, help: "sampling temperature (paper: 1.0)" },
  { name: "top-p", type: "number", min: 0, max: 1, default: M.topP, help: "nucleus sampling (1: off)" },
  { name: "top-k", type: "int", min: 0, default: M.topK, help: "top-k sampling (0: off)" },
  { name: "gen-tokens", type: "int", min: 1, default: M.maxNewTokens.generator, help: "max new tokens of a generator rollout (paper: 4096)" },
  { name: "pred-tokens", type: "int", min: 1, default: M.maxNewTokens.predictor, help: "max new tokens of a predictor rollout (paper: 4096)" },
  { name: "lr", type: "number", min: 0, default: M.lr, help: "peak learning rate (paper: 5e-7 for 4B-30B models)" },
  { name: "schedule", type: "enum", values: ["cosine", "constant"], default: M.schedule, help: "learning-rate schedule (paper: cosine)" },
  { name: "warmup", type: "int", min: 0, default: M.warmup, help: "warm-up steps" },
  { name: "micro-batch", type: "int", min: 1, default: M.microBatch, help: "sequences per optimizer step (a step's batch is split into minibatches)" },
  { name: "kl-coef", type: "number", min: 0, default: M.klCoef, help: "weight of a k3 KL penalty against the initial model (paper: none)" },
  { name: "azr-references", type: "int", min: 1, default: D.azr.references, help: "task azr: reference triplets shown to the proposer (paper: K = 6)" },
  { name: "azr-official", type: "boolean", default: D.azr.official, help: "task azr: the official code's penalties (-0.5 unlearnable / wrong, -1 invalid / format error) instead of 0" },
  { name: "exec-pool", type: "int", min: 1, default: D.azr.poolSize, help: "task azr: sandboxed Python executors in the reward actor" },
  { name: "exec-timeout-ms", type: "int", min: 10, default: D.azr.timeoutMs, help: "task azr: wall-time limit of one program run" },
  { name: "exec-memory-mb", type: "int", min: 16, default: D.azr.memoryMb, help: "task azr: sandbox heap limit" },
];

function pick<T>(v: unknown, fallback: T): T {
  return v === undefined ? fallback : (v as T);
}

export function resolveConfig(args: ParsedArgs, backend: RunConfig["backend"]): { config: RunConfig; checkpointEvery: number } {
  const f = args.flags;
  const b = BACKEND_DEFAULTS[backend];
  const corpusBase = b.corpus ?? D.corpus;
  const config: RunConfig = {
    ...D,
    backend,
    task: f.task as TaskName,
    seed: f.seed as number,
    steps: pick(f.steps, b.steps ?? D.steps),
    passages: pick(f.passages, b.passages ?? D.passages),
    genSamples: pick(f["gen-samples"], b.genSamples ?? D.genSamples),
    predSamples: pick(f["pred-samples"], b.predSamples ?? D.predSamples),
    design: f.design as RewardDesign,
    maskMode: f["mask-mode"] as RunConfig["maskMode"],
    template: pick(f.template, b.template ?? D.template),
    maxOccurrences: f["max-occurrences"] as number,
    corpus: {
      ...corpusBase,
      path: f.corpus as string,
      minWords: pick(f["min-words"], corpusBase.minWords),
      maxWords: pick(f["max-words"], corpusBase.maxWords),
      textField: f["text-field"] as string,
    },
    chunk: pick(f.chunk, b.chunk ?? D.chunk),
    window: pick(f.window, b.window ?? D.window),
    grpo: { ...D.grpo, epsLow: f["eps-low"] as number, epsHigh: f["eps-high"] as number },
  };
  if ("gen-lr" in f) config.sim = { genLr: f["gen-lr"] as number, predLr: f["pred-lr"] as number, maxSpanWords: f["max-span-words"] as number };
  if ("model" in f) {
    const rank = f["lora-rank"] as number;
    config.model = {
      ...M,
      dir: shippedPath(f.model as string),
      device: f.device as "cpu" | "cuda",
      deterministic: f.deterministic as boolean,
      lora: rank > 0 ? { rank, alpha: f["lora-alpha"] as number } : null,
      temperature: f.temperature as number,
      topP: f["top-p"] as number,
      topK: f["top-k"] as number,
      maxNewTokens: { generator: f["gen-tokens"] as number, predictor: f["pred-tokens"] as number },
      lr: f.lr as number,
      schedule: f.schedule as "cosine" | "constant",
      warmup: f.warmup as number,
      microBatch: f["micro-batch"] as number,
      klCoef: f["kl-coef"] as number,
    };
  }
  if (backend === "sim" && config.task !== "pretrainzero") {
    throw new InputError(`--task ${config.task} needs a language model (--backend model); the simulator plays pretrainzero only (its --design random is random masking)`);
  }
  if ("azr-references" in f) {
    config.azr = {
      ...D.azr,
      references: f["azr-references"] as number,
      official: f["azr-official"] as boolean,
      poolSize: f["exec-pool"] as number,
      timeoutMs: f["exec-timeout-ms"] as number,
      memoryMb: f["exec-memory-mb"] as number,
    };
  }
  if (config.task === "azr") {
    // Proposer prompts per task type; programs need more room than spans, and span one or more lines.
    if (f.passages === undefined) config.passages = 4;
    if ("model" in f) {
      config.model.maxNewTokens = { generator: pick(f["gen-tokens-set"], 96), predictor: pick(f["pred-tokens-set"], 48) };
      config.model.stopStrings = [];
    }
  }
  if (config.corpus.minWords > config.corpus.maxWords) throw new InputError(`--min-words ${config.corpus.minWords} is above --max-words ${config.corpus.maxWords}`);
  return { config, checkpointEvery: pick(f["checkpoint-every"], b.checkpointEvery) };
}

export const SIMULATION_BANNER =
  "SIMULATION: parametric policies over real paragraphs stand in for the language model; " +
  "actors, messages, rewards and GRPO are the real ones.";

export function header(): string {
  return ["step".padStart(5), "gen_reward".padStart(10), "pred_acc".padStart(8), "zero_var".padStart(8), "gen_zero_var".padStart(12), "span_words".padStart(10), "invalid".padStart(7), "trained".padStart(7), "grad_norm".padStart(9)].join("  ");
}

function row(step: number, s: StepStats): string {
  return [
    String(step).padStart(5),
    s.genReward.toFixed(3).padStart(10),
    s.predAcc.toFixed(3).padStart(8),
    s.zeroVarFrac.toFixed(3).padStart(8),
    s.genZeroVarFrac.toFixed(3).padStart(12),
    s.spanWords.toFixed(2).padStart(10),
    s.invalidFrac.toFixed(3).padStart(7),
    String(s.trained).padStart(7),
    s.gradNorm.toExponential(2).padStart(9),
  ].join("  ");
}

/** Actors whose state a checkpoint must hold: the learner, and the AZR proposer's buffers. */
export function statefulActors(config: RunConfig): ActorId[] {
  return config.task === "azr" ? ["learner", "generator"] : ["learner"];
}

/** Flags a resume may change; every other flag must agree with the run being resumed. */
const RESUME_MAY_CHANGE = new Set(["resume", "steps", "checkpoint-every", "stop-after", "transport", "log-every", "json", "debug", "config", "help"]);

/** Where each run-shaping flag lands in the configuration, to tell a conflicting flag on resume. */
const FLAG_FIELDS: Partial<Record<string, (c: RunConfig) => unknown>> = {
  seed: (c) => c.seed,
  passages: (c) => c.passages,
  "gen-samples": (c) => c.genSamples,
  "pred-samples": (c) => c.predSamples,
  task: (c) => c.task,
  design: (c) => c.design,
  "mask-mode": (c) => c.maskMode,
  template: (c) => c.template,
  "max-occurrences": (c) => c.maxOccurrences,
  corpus: (c) => (c.corpus.path === "factbook" ? c.corpus.path : resolve(c.corpus.path)),
  "min-words": (c) => c.corpus.minWords,
  "max-words": (c) => c.corpus.maxWords,
  "text-field": (c) => c.corpus.textField,
  chunk: (c) => c.chunk,
  window: (c) => c.window,
  "eps-low": (c) => c.grpo.epsLow,
  "eps-high": (c) => c.grpo.epsHigh,
  "gen-lr": (c) => c.sim.genLr,
  "pred-lr": (c) => c.sim.predLr,
  "max-span-words": (c) => c.sim.maxSpanWords,
  backend: (c) => c.backend,
  model: (c) => resolve(c.model.dir),
  device: (c) => c.model.device,
  deterministic: (c) => c.model.deterministic,
  "lora-rank": (c) => c.model.lora?.rank ?? 0,
  "lora-alpha": (c) => c.model.lora?.alpha,
  temperature: (c) => c.model.temperature,
  "top-p": (c) => c.model.topP,
  "top-k": (c) => c.model.topK,
  "gen-tokens": (c) => c.model.maxNewTokens.generator,
  "pred-tokens": (c) => c.model.maxNewTokens.predictor,
  lr: (c) => c.model.lr,
  schedule: (c) => c.model.schedule,
  warmup: (c) => c.model.warmup,
  "micro-batch": (c) => c.model.microBatch,
  "kl-coef": (c) => c.model.klCoef,
  "azr-references": (c) => c.azr.references,
  "azr-official": (c) => c.azr.official,
  "exec-pool": (c) => c.azr.poolSize,
  "exec-timeout-ms": (c) => c.azr.timeoutMs,
  "exec-memory-mb": (c) => c.azr.memoryMb,
};

/** The resumed run's settings with the flags a resume may change applied; refuses any other flag that disagrees. */
function resumedSettings(args: ParsedArgs, saved: SavedRun, fromStep: number): SavedRun {
  const given = [...args.given].filter((f) => !RESUME_MAY_CHANGE.has(f));
  if (given.length) {
    const asked = resolveConfig(args, saved.config.backend).config;
    for (const f of given) {
      const field = FLAG_FIELDS[f];
      if (f === "record" && saved.record && resolve(args.flags.record as string) === saved.record) continue;
      const have = field?.(saved.config);
      if (field && JSON.stringify(field(asked)) === JSON.stringify(have)) continue;
      const was = field ? ` (the run has ${JSON.stringify(have)})` : "";
      throw new InputError(`--${f} ${JSON.stringify(args.flags[f])} conflicts with the resumed run${was}; a resume may change only --${[...RESUME_MAY_CHANGE].filter((x) => !["resume", "json", "debug", "config", "help"].includes(x)).join(", --")}`);
    }
  }
  const steps = args.given.has("steps") ? (args.flags.steps as number) : saved.config.steps;
  if (steps <= fromStep && steps !== saved.config.steps) throw new InputError(`--steps ${steps}: the run already has ${fromStep} steps done; accepted: more than ${fromStep}`);
  const checkpointEvery = args.given.has("checkpoint-every") ? (args.flags["checkpoint-every"] as number) : saved.checkpointEvery;
  if (steps === saved.config.steps && checkpointEvery === saved.checkpointEvery) return saved;
  return { ...saved, checkpointEvery, config: { ...saved.config, steps } };
}

/** Fault injection for the crash tests: SIGKILL this process at the named point (SPZ_KILL_AT=metrics:3). */
function killPoint(point: string): void {
  if (process.env.SPZ_KILL_AT === point) process.kill(process.pid, "SIGKILL");
}

export interface SelfPlayCommandOptions {
  command: string;
  backend: RunConfig["backend"];
  banner?: string;
}

export async function runSelfPlayCommand(args: ParsedArgs, o: SelfPlayCommandOptions): Promise<number> {
  const say = (line: string) => console.log(line);
  let config: RunConfig;
  let checkpointEvery: number;
  let runDir: RunDir;
  let recordPath = args.flags.record as string | undefined;
  let appendToLog = false;
  let actorStates: Partial<Record<ActorId, Uint8Array>> | undefined;
  let fromStep = 0;
  if (args.flags.resume) {
    // Everything is checked before anything in the folder changes: a refused resume changes nothing.
    const plan = planResume(args.flags.resume as string, statefulActors);
    const saved = resumedSettings(args, plan.saved, plan.fromStep);
    await preflightRun(saved.config);
    for (const s of plan.skipped) console.error(`warning: skipping ${s.reason.startsWith("checkpoint ") ? "" : `checkpoint ${s.path}: `}${s.reason}`);
    applyResume(plan, saved);
    ({ runDir, fromStep, actorStates } = plan);
    ({ config, checkpointEvery } = saved);
    recordPath = saved.record;
    appendToLog = Boolean(plan.log && !plan.log.recreate);
    say(plan.checkpointPath ? `resuming ${runDir.path} at step ${fromStep} of ${config.steps}` : `resuming ${runDir.path}: no checkpoint was written yet, so it restarts at step 0 of ${config.steps}`);
  } else {
    ({ config, checkpointEvery } = resolveConfig(args, o.backend));
    await preflightRun(config, { runsDir: args.flags["runs-dir"] as string });
    checkRunsRoot(args.flags["runs-dir"] as string);
    const name = (args.flags.run as string | undefined) ?? defaultRunName(o.command);
    checkRunName(name);
    if (recordPath) {
      recordPath = resolve(recordPath);
      if (existsSync(recordPath)) throw new InputError(`--record ${args.flags.record as string} already exists; a recording is never overwritten: choose another path`);
    }
    runDir = createRunDir(args.flags["runs-dir"] as string, name, {
      command: o.command,
      backend: config.backend,
      simulation: config.backend === "sim",
      checkpointEvery,
      ...(recordPath ? { record: recordPath } : {}),
      config,
    });
  }
  const transport = args.flags.transport as TransportKind;
  const every = (args.flags["log-every"] as number) || Math.max(1, Math.ceil(config.steps / 20));
  const stopAfter = args.flags["stop-after"] as number | undefined;
  if (o.banner) say(o.banner);
  say(`run: ${runDir.path}`);
  const what = config.backend === "model" ? `model=${config.model.dir}${config.model.lora ? ` lora r=${config.model.lora.rank}` : ""}` : "simulated policies";
  say(`${what} corpus=${config.corpus.path} design=${config.design} steps=${config.steps} passages=${config.passages} n=${config.genSamples} G=${config.predSamples} seed=${config.seed} transport=${transport}`);
  say(header());
  const t0 = performance.now();
  const progress = new Progress({ total: config.steps, label: "step" });
  const episodesPer = episodesPerStep(config);
  const timings = new Map<number, LearnerTiming>();
  const stateful = statefulActors(config);
  // Checkpoint N is committed only once every stateful actor handed in its state for N and step N-1's
  // metrics row and log records are written; a crash between the two then loses nothing (src/runtime/resume.ts).
  const heldCheckpoints = new Map<number, Partial<Record<ActorId, Uint8Array>>>();
  let rowsThrough = fromStep;
  const commitCheckpoints = () => {
    for (const [step, held] of heldCheckpoints) {
      if (step > rowsThrough || !stateful.every((id) => held[id])) continue;
      heldCheckpoints.delete(step);
      killPoint(`checkpoint:${step}:before`);
      writeCheckpoint(join(runDir.path, "checkpoints"), step, Object.fromEntries(stateful.map((id) => [`${id}.bin`, held[id]!])), { step });
      killPoint(`checkpoint:${step}:after`);
    }
  };
  let stepsDone = 0;
  let tokens = 0;
  const schedule = { kind: config.model.schedule, lr: config.model.lr, warmup: config.model.warmup, total: config.steps, minRatio: config.model.minLrRatio };
  const freshRun = !args.flags.resume;
  const run = runSelfPlay({
    config,
    transport,
    actors: ACTORS,
    recordPath,
    appendToLog,
    command: o.command,
    actorStates,
    stopAtStep: stopAfter,
    onTiming: (t) => timings.set(t.step, t),
    onCheckpoint: (actor, step, state) => {
      const last = step >= Math.min(config.steps, stopAfter ?? Infinity);
      if (checkpointEvery <= 0 || !(step % checkpointEvery === 0 || last)) return;
      const held = heldCheckpoints.get(step) ?? {};
      held[actor] = state;
      heldCheckpoints.set(step, held);
      commitCheckpoints();
    },
    onVersion: (v) => {
      if (!v.stats) return;
      const step = v.step - 1;
      stepsDone++;
      const secs = (performance.now() - t0) / 1000;
      const t = timings.get(step);
      timings.delete(step);
      tokens += t?.sampledTokens ?? 0;
      // Everything that depends on the wall clock sits under `wall`, so two runs compare equal without it.
      const wall: Record<string, number> = {
        elapsedS: Math.round(secs * 1000) / 1000,
        episodesPerS: Math.round((stepsDone * episodesPer) / secs),
      };
      const metrics: Record<string, unknown> = { step, version: v.version, ...v.stats, digest: v.digest };
      if (config.backend === "model") {
        metrics.lr = learningRate(step, schedule);
        if (t) {
          metrics.responseLen = t.completions ? t.sampledTokens / t.completions : 0;
          wall.timeSampleS = t.sampleMs / 1000;
          wall.timeTrainS = t.trainMs / 1000;
          wall.tokensPerS = Math.round(tokens / secs);
        }
      }
      metrics.wall = wall;
      killPoint(`metrics:${step}`);
      runDir.appendMetrics(metrics);
      rowsThrough = v.step;
      commitCheckpoints();
      progress.update(v.step, {
        gen_reward: v.stats.genReward,
        pred_acc: v.stats.predAcc,
        zero_var: v.stats.zeroVarFrac,
        ...(config.backend === "model" ? { "tokens/s": Math.round(tokens / secs) } : { "episodes/s": Math.round((stepsDone * episodesPer) / secs) }),
      });
      if (step % every === 0 || v.step === config.steps) progress.print(row(step, v.stats));
    },
  });
  const outcome = await run.catch((error: unknown) => {
    // A new run that failed before its first step finished leaves nothing behind (its log held only the header).
    if (freshRun && stepsDone === 0) {
      rmSync(runDir.path, { recursive: true, force: true });
      if (recordPath) for (const f of [recordPath, logOwnerPath(recordPath)]) rmSync(f, { force: true });
    }
    throw error;
  });
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  const episodes = stepsDone * episodesPer;
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const summary = {
    simulation: config.backend === "sim",
    backend: config.backend,
    design: config.design,
    steps: outcome.steps,
    fromStep,
    episodes,
    seconds: round(seconds, 3),
    episodesPerSecond: round(episodes / seconds, 1),
    ...(config.backend === "model" ? { sampledTokens: tokens, tokensPerSecond: round(tokens / seconds, 1) } : {}),
    messages: outcome.messages,
    messagesPerSecond: round(outcome.messages / seconds, 1),
    wireShareMainThread: round(outcome.hubWireMs / outcome.wallMs, 4),
    wireShareByActor: Object.fromEntries(Object.entries(outcome.actorWireMs).map(([k, v]) => [k, round((v ?? 0) / outcome.wallMs, 4)])),
    restarts: outcome.restarts,
    finalDigest: outcome.finalDigest,
    first: outcome.stats[0] ?? null,
    last: outcome.stats.at(-1) ?? null,
    run: runDir.path,
    ...(outcome.logBytes !== undefined ? { record: recordPath, logBytes: outcome.logBytes, logRecords: outcome.logRecords } : {}),
  };
  say(
    `done: ${episodes} episodes in ${summary.seconds}s = ${summary.episodesPerSecond} episodes/s; ` +
      `${summary.messages} messages (${summary.messagesPerSecond}/s); wire share of wall time: main ${pct(summary.wireShareMainThread)}, ` +
      Object.entries(summary.wireShareByActor).map(([k, v]) => `${k} ${pct(v)}`).join(", "),
  );
  if (stopAfter !== undefined && fromStep + outcome.steps < config.steps) say(`stopped after step ${fromStep + outcome.steps - 1}; continue with --resume ${runDir.path}`);
  if (outcome.logBytes !== undefined) say(`recorded ${outcome.logRecords} messages (${outcome.logBytes} bytes) to ${recordPath}`);
  if (args.json) say(JSON.stringify(summary));
  return 0;
}
