// `bun run eval`: held-out masked-span exact-match accuracy and next-token loss, for a model folder,
// a run's newest checkpoint, or several of them in one table; with --all-checkpoints, every
// checkpoint of one run (and its initial model, step 0) on the same masks, written to
// RUN/eval-curve.jsonl for `bun run report` to chart.

import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPassages } from "../data/corpus.ts";
import { evalMaskSet, evaluate, type EvalResult } from "../eval/pretrainzero-eval.ts";
import { ModelBackend } from "../backends/model/backend.ts";
import { loadModel, type LoadedModel } from "../model/model.ts";
import { newestUsableCheckpoint } from "../runtime/resume.ts";
import { actorStateFile, actorStateOf, readCheckpoint, type Checkpoint } from "../runtime/checkpoint.ts";
import { decodeLearnerState } from "../runtime/learner-state.ts";
import { CHAT_TEMPLATE_MODES, DEFAULT_RUN_CONFIG, type ChatTemplateMode, type CorpusConfig, type RunConfig } from "../runtime/config.ts";
import { openRunDir, readSavedRun, type RunDir } from "../runtime/run-dir.ts";
import { TEMPLATE_NAMES, type TemplateName } from "../tasks/pretrainzero/prompts.ts";
import { bool, defineCommand, InputError, int, optOneOf, type ParsedArgs } from "./args.ts";
import { CORPUS_FLAGS, DEVICE_FLAGS, MODEL_FLAGS, pickFlags, readCorpus, readDevice, readModel, withoutDefaults } from "./flags/index.ts";
import { Progress } from "./progress.ts";
import { cudaUnavailableReason, DeviceUnavailableError, type Device } from "../engine/session.ts";

interface Subject {
  label: string;
  model: LoadedModel;
  corpus: CorpusConfig;
  template: TemplateName;
  /** Prompts in the model's chat template (the run's --chat-template, or eval's). */
  chatTemplate: ChatTemplateMode;
  step: number | null;
  cache?: string;
}

/** The base model's passages: as short as a model run's (src/cli/self-play.ts), which it is compared with. */
const BASE_CORPUS: CorpusConfig = { ...DEFAULT_RUN_CONFIG.corpus, minWords: 20, maxWords: 60 };

function describeCorpus(c: CorpusConfig): string {
  return `${c.path}, ${c.minWords}-${c.maxWords} words, held-out ${c.heldOut}`;
}

/** A model run's folder and config, with the model on `device` (eval's --device, not the run's). */
function openModelRun(path: string, device: Device): { dir: RunDir; config: RunConfig } {
  const dir = openRunDir(path);
  const config = readSavedRun(dir).config;
  if (config.backend !== "model") throw new InputError(`run ${dir.path} trained the simulator, not a model; accepted: runs of train with --backend model`);
  return { dir, config: { ...config, model: { ...config.model, device } } };
}

/** Puts a checkpoint's learner weights into `backend`; returns its step. */
function restoreCheckpoint(backend: ModelBackend, checkpoint: Checkpoint): number {
  const saved = actorStateOf(checkpoint, "learner");
  if (!saved) throw new InputError(`${checkpoint.path} has no learner state; accepted: a checkpoint of a train --backend model run`);
  const state = decodeLearnerState(saved);
  try {
    backend.restore(state.backend);
  } catch (e) {
    throw new InputError(`${join(checkpoint.path, actorStateFile(checkpoint, "learner"))}: ${(e as Error).message.split("\n")[0]}; accepted: a checkpoint of this run's model`);
  }
  return state.step;
}

function subjectOfRunState(dir: RunDir, config: RunConfig, model: LoadedModel, step: number | null): Subject {
  return { label: dir.name, model, corpus: config.corpus, template: config.template, chatTemplate: config.model.chatTemplate, step, cache: join(dir.path, `eval-${step ?? 0}.json`) };
}

async function subjectOfRun(path: string, device: Device): Promise<Subject> {
  const { dir, config } = openModelRun(path, device);
  const backend = ModelBackend.load(config);
  const { checkpoint, skipped } = newestUsableCheckpoint(join(dir.path, "checkpoints"), config);
  for (const s of skipped) console.error(`warning: skipping ${s.reason.startsWith("checkpoint ") ? "" : `checkpoint ${s.path}: `}${s.reason}`);
  let step: number | null = null;
  if (checkpoint) step = restoreCheckpoint(backend, checkpoint);
  else console.error(`warning: run ${dir.path} has no checkpoint; evaluating its initial model`);
  return subjectOfRunState(dir, config, backend.model, step);
}

interface EvalSettings {
  limit: number;
  seed: number;
  maxNewTokens: number;
  batch: number;
  fresh: boolean;
  device: Device;
}

/** A subject's result on its held-out masks: from its cache file when the settings match, else computed (and cached). */
async function scoreSubject(args: ParsedArgs, s: Subject, o: EvalSettings, label = `eval ${s.label}`): Promise<{ result: EvalResult; key: Record<string, unknown>; cached: boolean }> {
  const corpus = readCorpus(args, s.corpus);
  const template = optOneOf(args, "template", TEMPLATE_NAMES) ?? s.template;
  const chatTemplate = optOneOf(args, "chat-template", CHAT_TEMPLATE_MODES) ?? s.chatTemplate;
  // Keys gain a field only where it is set, so evals cached before it existed stay valid.
  const settings = {
    corpus,
    template,
    limit: o.limit,
    seed: o.seed,
    maxNew: o.maxNewTokens,
    ...(chatTemplate !== "off" ? { chatTemplate } : {}),
    ...(template === "paper" ? { stop: "answer" } : {}),
    ...(o.device !== "cpu" ? { device: o.device } : {}),
  };
  const key = JSON.stringify(settings);
  if (s.cache && !o.fresh && existsSync(s.cache)) {
    const cached = JSON.parse(readFileSync(s.cache, "utf8")) as { key: string; result: EvalResult };
    if (cached.key === key) return { result: cached.result, key: settings, cached: true };
  }
  const { heldOut } = await loadPassages(corpus.path, { minWords: corpus.minWords, maxWords: corpus.maxWords, heldOutFraction: corpus.heldOut, seed: corpus.seed, textField: corpus.textField, cache: true });
  if (heldOut.length === 0) throw new InputError(`corpus ${corpus.path} has no held-out passages; raise its held-out share`);
  const masks = evalMaskSet(heldOut.slice(0, o.limit).map((p) => p.text), o.seed);
  const progress = new Progress({ total: masks.length, label });
  const result = await evaluate(s.model, masks, { template, chatTemplate, maxNewTokens: o.maxNewTokens, batch: o.batch }, (d) => progress.update(d));
  progress.done();
  if (s.cache) writeFileSync(s.cache, `${JSON.stringify({ key, result }, null, 2)}\n`);
  return { result, key: settings, cached: false };
}

/** One row of RUN/eval-curve.jsonl; `curve`-prefixed so the report charts it beside the training metrics. */
export interface EvalCurveRow {
  step: number;
  curveMaskAcc: number;
  curveNll: number;
  curveMasks: number;
}

/** The checkpoint folders of a run, oldest first; each is read only when its turn comes (one model state in memory at a time). */
function checkpointsOf(runPath: string): string[] {
  const root = join(runPath, "checkpoints");
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => /^ckpt-\d{8}$/.test(n)).sort().map((n) => join(root, n));
}

function readOrWarn(path: string): Checkpoint | null {
  try {
    return readCheckpoint(path);
  } catch (e) {
    console.error(`warning: skipping checkpoint ${path}: ${(e as Error).message.split("\n")[0]}`);
    return null;
  }
}

/**
 * Every checkpoint of one run, and its initial model as step 0, on the same masks; writes
 * RUN/eval-curve.jsonl (a settings line, then one row per step) and returns the rows.
 */
async function evalCurve(args: ParsedArgs, path: string, o: EvalSettings): Promise<{ subject: Subject; result: EvalResult }[]> {
  const { dir, config } = openModelRun(path, o.device);
  const backend = ModelBackend.load(config);
  const checkpoints = checkpointsOf(dir.path);
  if (checkpoints.length === 0) console.error(`warning: run ${dir.path} has no checkpoint; the curve is its initial model alone (train with --checkpoint-every N)`);
  const total = checkpoints.length + 1;
  const out: { subject: Subject; result: EvalResult }[] = [];
  let settings: Record<string, unknown> = {};
  try {
    for (let i = 0; i < total; i++) {
      const ck = i === 0 ? null : readOrWarn(checkpoints[i - 1]!);
      if (i > 0 && !ck) continue;
      const step = ck ? restoreCheckpoint(backend, ck) : 0;
      if (ck && step === 0) continue; // a checkpoint of step 0 is the initial model, already scored
      const subject = subjectOfRunState(dir, config, backend.model, step);
      const { result, key, cached } = await scoreSubject(args, subject, o, `eval ${dir.name} step ${step} (${i + 1}/${total})`);
      if (cached) console.error(`eval ${dir.name} step ${step} (${i + 1}/${total}): cached`);
      settings = key;
      out.push({ subject, result });
    }
  } finally {
    await backend.model.release();
  }
  const rows: EvalCurveRow[] = out.map(({ subject, result }) => ({ step: subject.step!, curveMaskAcc: result.maskAccuracy, curveNll: result.nll, curveMasks: result.masks }));
  const file = join(dir.path, "eval-curve.jsonl");
  // Written whole and renamed into place: a crash leaves the old curve or the new one.
  writeFileSync(`${file}.tmp`, [JSON.stringify({ curve: settings }), ...rows.map((r) => JSON.stringify(r))].join("\n") + "\n");
  renameSync(`${file}.tmp`, file);
  console.error(`wrote ${file}: ${rows.length} step${rows.length === 1 ? "" : "s"}`);
  return out;
}

export const evalCommand = defineCommand(
  {
    name: "eval",
    summary: "Score a model or runs on held-out passages: masked-span exact-match accuracy (fixed seeded masks, greedy) and next-token loss.",
    positionals: [{ name: "RUN", help: "run folders to evaluate (their newest checkpoints), shown side by side", variadic: true }],
    flags: [
      // No default model: eval scores only what it is given (--model, run folders, or both).
      ...withoutDefaults(MODEL_FLAGS, "none; the base model to evaluate, beside or instead of runs"),
      ...pickFlags(DEVICE_FLAGS, "device"),
      {
        name: "all-checkpoints",
        type: "boolean",
        default: false,
        help: "evaluate every checkpoint of one run and its initial model (step 0) on the same masks; writes RUN/eval-curve.jsonl, which bun run report charts",
      },
      // Unset: each run's own corpus, so a run is scored on the held-out split of what it trained on.
      ...withoutDefaults(CORPUS_FLAGS, `the run's; for --model ${describeCorpus(BASE_CORPUS)}`),
      { name: "template", type: "enum", values: TEMPLATE_NAMES, help: "predictor prompt template (default: the run's, or compact)" },
      { name: "chat-template", type: "enum", values: CHAT_TEMPLATE_MODES, help: "wrap the predictor prompt in the model's chat template: on, auto (when it has one), off (default: the run's, or off)" },
      { name: "limit", type: "int", min: 1, default: 200, help: "held-out passages to use" },
      { name: "seed", type: "int", min: 0, default: 0, help: "seed of the mask set" },
      { name: "max-new-tokens", type: "int", min: 1, default: 16, help: "tokens generated per answer" },
      { name: "batch", type: "int", min: 1, default: 32, help: "sequences per ORT run" },
      { name: "fresh", type: "boolean", default: false, help: "recompute even when a run has a cached eval for its checkpoint" },
    ],
    examples: [
      "bun run eval --model fixtures/default-model",
      "bun run eval runs/pz runs/random-span --model fixtures/default-model",
      "bun run eval runs/pz --all-checkpoints && bun run report runs/pz",
    ],
  },
  async (args) => {
    const runs = args.positionals;
    const base = args.given.has("model") ? readModel(args).dir : undefined;
    if (base === undefined && runs.length === 0) throw new InputError("nothing to evaluate: give --model DIR and/or run folders");
    const { device } = readDevice(args);
    // Fail before any corpus is read, with the message a session would give.
    const noCuda = device === "cuda" ? cudaUnavailableReason() : undefined;
    if (noCuda) throw new DeviceUnavailableError(`--device cuda: ${noCuda}`);
    const o: EvalSettings = { limit: int(args, "limit"), seed: int(args, "seed"), maxNewTokens: int(args, "max-new-tokens"), batch: int(args, "batch"), fresh: bool(args, "fresh"), device };
    let results: { subject: Subject; result: EvalResult }[] = [];
    const subjects: Subject[] = [];
    if (bool(args, "all-checkpoints")) {
      if (runs.length !== 1 || base !== undefined) throw new InputError("--all-checkpoints evaluates one run folder (its initial model is step 0); give exactly one RUN and no --model");
      results = await evalCurve(args, runs[0]!, o);
    } else {
      if (base !== undefined) {
        if (!existsSync(join(base, "config.json"))) throw new InputError(`--model ${base} is not a model folder (no config.json)`);
        subjects.push({ label: `base (${base})`, model: loadModel(base, { deterministic: true, device }), corpus: BASE_CORPUS, template: "compact", chatTemplate: "off", step: null });
      }
      for (const r of runs) subjects.push(await subjectOfRun(r, device));
      for (const s of subjects) results.push({ subject: s, result: (await scoreSubject(args, s, o)).result });
    }
    const w = Math.max(12, ...results.map((r) => r.subject.label.length));
    console.log(`${"model".padEnd(w)}  ${"step".padStart(5)}  ${"masks".padStart(5)}  ${"mask_acc".padStart(8)}  ${"nll".padStart(7)}  ${"ppl".padStart(8)}`);
    for (const { subject: s, result: r } of results) {
      console.log(`${s.label.padEnd(w)}  ${String(s.step ?? "-").padStart(5)}  ${String(r.masks).padStart(5)}  ${r.maskAccuracy.toFixed(4).padStart(8)}  ${r.nll.toFixed(4).padStart(7)}  ${Math.exp(r.nll).toFixed(2).padStart(8)}`);
    }
    if (args.json) console.log(JSON.stringify({ results: results.map((r) => ({ label: r.subject.label, step: r.subject.step, ...r.result })) }));
    for (const s of subjects) await s.model.release();
    return 0;
  },
);
