// Difficulty probe: how hard are the spans a run's generator chooses, for the frozen initial model,
// as training goes on? For step 0 (the initial policy) and every checkpoint, the policy writes
// masks for a fixed, seeded set of held-out passages (the run's generator prompt, temperature and
// mask rules, a fixed seed); the frozen base model then predicts each valid mask greedily.
// probeBaseSolveRate is its exact-match rate: falling means the generator picks spans the initial
// model cannot fill (PretrainZero's generator is rewarded for spans the predictor finds hard,
// arXiv 2512.03442 §3). probeSolveRate is the same checkpoint's own greedy solve rate.
//
// RUN/probe.jsonl holds a header row with the probe's settings, then one row per step; a step
// whose row was computed with the same settings and the same policy digest is not recomputed.

import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ModelBackend } from "../backends/model/backend.ts";
import { completionStops, PromptEncoder } from "../backends/model/prompting.ts";
import { loadPassages } from "../data/corpus.ts";
import { loadModel, type LoadedModel } from "../model/model.ts";
import { actorStateOf, readCheckpoint } from "../runtime/checkpoint.ts";
import type { ActorState } from "../runtime/actor-state.ts";
import { decodeLearnerState } from "../runtime/learner-state.ts";
import type { RunConfig } from "../runtime/config.ts";
import type { Device } from "../engine/session.ts";
import { rng } from "../runtime/rng.ts";
import { taskOf } from "../tasks/registry.ts";
import { openRunDir, readSavedRun } from "../runtime/run-dir.ts";
import { maskOptionsOf, spanWordCount } from "../tasks/pretrainzero/mask.ts";
import { generatorPrompt, predictorPrompt } from "../tasks/pretrainzero/prompts.ts";
import { predictorReward } from "../tasks/pretrainzero/rewards.ts";
import { masksForPassage } from "../tasks/pretrainzero/score.ts";

/** Tasks whose generator writes \mask{} spans with the PretrainZero prompts. */
export const PROBE_TASKS: readonly string[] = ["pretrainzero", "random-span", "next-token", "entropy"];

export interface ProbeOptions {
  /** Held-out passages in the probe set. */
  passages: number;
  /** Masks sampled per passage by each policy. */
  samples: number;
  /** Seed of the passage choice and of the generator's sampling. */
  seed: number;
  /** Sequences per generate call. */
  batch: number;
  /** Recompute every step even when probe.jsonl has it. */
  fresh?: boolean;
  /** Where the models run (probe --device); default the run's own. */
  device?: Device;
}

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = { passages: 32, samples: 4, seed: 0, batch: 32 };

export interface ProbeRow {
  /** Policy updates behind the checkpoint (0: the initial model). */
  step: number;
  /** Share of valid masks the frozen initial model solves (greedy, exact match); null without valid masks. */
  probeBaseSolveRate: number | null;
  /** Share the checkpoint's own policy solves (greedy) on its own masks; null without valid masks. */
  probeSolveRate: number | null;
  /** Valid masks over sampled masks. */
  probeValidFrac: number;
  /** Mean words and characters of the valid spans (0 without valid masks). */
  probeSpanWords: number;
  probeSpanChars: number;
  /** Valid masks. */
  probeMasks: number;
  /** The policy's parameter digest: a cached row is reused only for the same parameters. */
  digest: string;
}

export type ProbeProgress =
  | { kind: "step"; step: number; index: number; total: number; cached: boolean }
  | { kind: "warning"; message: string };

/** A bad run folder or probe request (exit code 2, one line). */
export class ProbeError extends Error {
  override name = "ProbeError";
  readonly exitCode = 2;
}

/** Everything a row depends on besides the policy: rows computed under other settings are recomputed. */
function settingsOf(config: RunConfig, o: ProbeOptions): Record<string, unknown> {
  const m = config.model;
  const answers = (["generator", "predictor"] as const).map((role) => completionStops(config, role).stopAfterBraced);
  return {
    passages: o.passages,
    samples: o.samples,
    seed: o.seed,
    batch: o.batch,
    corpus: config.corpus,
    template: config.template,
    mask: maskOptionsOf(config),
    spanDecoding: config.spanDecoding ?? "free",
    base: m.dir,
    sampling: { temperature: m.temperature, topP: m.topP, topK: m.topK, maxNewTokens: m.maxNewTokens, stopStrings: m.stopStrings },
    // Only where set, so rows cached before these settings existed stay valid.
    ...(m.chatTemplate && m.chatTemplate !== "off" ? { chatTemplate: m.chatTemplate } : {}),
    ...(answers.some(Boolean) ? { answers } : {}),
    ...(m.device !== "cpu" ? { device: m.device } : {}),
  };
}

/** The probe set: `n` held-out passages drawn without replacement by a seeded shuffle. */
export function probePassages(heldOut: readonly string[], n: number, seed: number): string[] {
  const idx = heldOut.map((_, i) => i);
  const r = rng({ seed, step: 0, role: "probe-passages", item: 0 });
  for (let i = idx.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, Math.min(n, idx.length)).map((i) => heldOut[i]!);
}

interface Mask {
  span: string;
  masked: string;
}

/** The policy's masks of every probe passage: sampled as training samples them, parsed and checked as the generator does. */
async function writeMasks(policy: LoadedModel, config: RunConfig, passages: readonly string[], o: ProbeOptions): Promise<{ masks: Mask[]; sampled: number }> {
  const m = config.model;
  const task = taskOf(config);
  const prompts = new PromptEncoder(policy.tokenizer, m.chatTemplate ?? "off", m.dir);
  const stops = completionStops(config, "generator");
  const requests = passages.flatMap((p, j) => {
    const text = generatorPrompt(p, config.template);
    const prompt = prompts.encode(text);
    // The run's decoding constraint (--span-decoding copy), exactly as the learner applies it.
    const accept = task.decodingConstraint?.(config, "generator", text);
    return Array.from({ length: o.samples }, (_, i) => ({
      prompt,
      maxNewTokens: m.maxNewTokens.generator,
      temperature: m.temperature,
      topP: m.topP,
      topK: m.topK,
      ...stops,
      rng: { seed: o.seed, step: 0, role: "probe-generator", item: `p${j}`, sample: i },
      ...(accept ? { accept } : {}),
    }));
  });
  const texts: string[] = [];
  for (let i = 0; i < requests.length; i += o.batch) {
    for (const g of await policy.generate(requests.slice(i, i + o.batch))) texts.push(g.text);
  }
  const masks: Mask[] = [];
  passages.forEach((passage, j) => {
    const outcomes = masksForPassage({ passageKey: `p${j}`, passage, completions: texts.slice(j * o.samples, (j + 1) * o.samples), mask: maskOptionsOf(config), seed: o.seed, step: 0 });
    for (const out of outcomes) if (out.masked !== null && out.span !== null) masks.push({ span: out.span, masked: out.masked });
  });
  return { masks, sampled: requests.length };
}

/** Exact-match solve rate of `model` predicting each mask greedily with the run's predictor prompt. */
async function solveRate(model: LoadedModel, config: RunConfig, masks: readonly Mask[], batch: number): Promise<number | null> {
  if (masks.length === 0) return null;
  let solved = 0;
  const prompts = new PromptEncoder(model.tokenizer, config.model.chatTemplate ?? "off", config.model.dir);
  const stops = completionStops(config, "predictor");
  for (let i = 0; i < masks.length; i += batch) {
    const chunk = masks.slice(i, i + batch);
    const out = await model.generate(
      chunk.map((k) => ({
        prompt: prompts.encode(predictorPrompt(k.masked, config.template)),
        maxNewTokens: config.model.maxNewTokens.predictor,
        temperature: 0,
        ...stops,
      })),
    );
    out.forEach((g, j) => (solved += predictorReward(g.text, chunk[j]!.span)));
  }
  return solved / masks.length;
}

/**
 * The checkpoints of a run folder, oldest first, each read only when probed (one model state in
 * memory at a time); an unreadable one is reported and left out then.
 */
function runCheckpoints(runPath: string, warn: (message: string) => void): { step: number; backend: () => ActorState | null }[] {
  const root = join(runPath, "checkpoints");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => /^ckpt-\d{8}$/.test(n))
    .sort()
    .map((name) => ({
      step: Number(name.slice(5)),
      backend: () => {
        try {
          const saved = actorStateOf(readCheckpoint(join(root, name)), "learner");
          if (!saved) throw new Error("it has no learner state");
          return decodeLearnerState(saved).backend;
        } catch (e) {
          warn(`skipping checkpoint ${join(root, name)}: ${(e as Error).message.split("\n")[0]}`);
          return null;
        }
      },
    }));
}

interface ProbeFile {
  settings: string;
  rows: ProbeRow[];
}

function readProbeFile(path: string): ProbeFile | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  try {
    const header = JSON.parse(lines[0] ?? "") as { probe?: unknown };
    if (typeof header.probe !== "object" || header.probe === null) return null;
    return { settings: JSON.stringify(header.probe), rows: lines.slice(1).map((l) => JSON.parse(l) as ProbeRow) };
  } catch {
    return null;
  }
}

/** Header row, then the rows by step; written whole and renamed into place, so a crash leaves the old file or the new one. */
function writeProbeFile(path: string, settings: Record<string, unknown>, rows: readonly ProbeRow[]): void {
  const sorted = [...rows].sort((a, b) => a.step - b.step);
  const text = [JSON.stringify({ probe: settings }), ...sorted.map((r) => JSON.stringify(r))].join("\n") + "\n";
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * Probe every checkpoint of the run in `runDir` (and step 0) and write RUN/probe.jsonl; returns
 * its rows by step. Steps already in probe.jsonl under the same settings and digest are kept.
 */
export async function probeRun(runDir: string, options: Partial<ProbeOptions> = {}, onProgress?: (p: ProbeProgress) => void): Promise<ProbeRow[]> {
  const o: ProbeOptions = { ...DEFAULT_PROBE_OPTIONS, ...options };
  for (const k of ["passages", "samples", "batch"] as const) if (!(Number.isInteger(o[k]) && o[k] >= 1)) throw new ProbeError(`probe: ${k} must be a positive integer, got ${o[k]}`);
  const dir = openRunDir(runDir);
  const saved = readSavedRun(dir).config;
  const config: RunConfig = o.device ? { ...saved, model: { ...saved.model, device: o.device } } : saved;
  if (config.backend !== "model") throw new ProbeError(`run ${dir.path} trained the simulator, not a model; accepted: runs of train with --backend model`);
  if (!PROBE_TASKS.includes(config.task)) throw new ProbeError(`run ${dir.path} is task ${config.task}, whose generator writes no masks; accepted tasks: ${PROBE_TASKS.join(", ")}`);
  const warn = (message: string) => onProgress?.({ kind: "warning", message });

  const c = config.corpus;
  const { heldOut } = await loadPassages(c.path, { minWords: c.minWords, maxWords: c.maxWords, heldOutFraction: c.heldOut, seed: c.seed, textField: c.textField, cache: true });
  if (heldOut.length === 0) throw new ProbeError(`corpus ${c.path} has no held-out passages; accepted: a run whose corpus holds some out (--held-out above 0)`);
  const passages = probePassages(heldOut.map((p) => p.text), o.passages, o.seed);
  if (passages.length < o.passages) warn(`the corpus holds out only ${passages.length} passages; probing with ${passages.length} instead of ${o.passages}`);

  const settings = settingsOf(config, o);
  const path = join(dir.path, "probe.jsonl");
  const previous = o.fresh ? null : readProbeFile(path);
  const cached = new Map((previous?.settings === JSON.stringify(settings) ? previous.rows : []).map((r) => [r.step, r]));

  const checkpoints = runCheckpoints(dir.path, warn);
  if (checkpoints.length === 0) warn(`run ${dir.path} has no checkpoint; probing only its initial model (step 0)`);
  const policies = [{ step: 0, backend: (): ActorState | null => null }, ...checkpoints.filter((k) => k.step !== 0)];

  const m = config.model;
  const base = loadModel(m.dir, { device: m.device, deterministic: m.deterministic });
  const backend = ModelBackend.load(config);
  const initial = backend.snapshot();
  const rows: ProbeRow[] = [];
  try {
    for (const [index, p] of policies.entries()) {
      const state = p.step === 0 ? initial : p.backend();
      if (state === null) continue;
      try {
        backend.restore(state);
      } catch (e) {
        warn(`skipping step ${p.step}: its checkpoint does not restore into this run's model (${(e as Error).message.split("\n")[0]})`);
        continue;
      }
      const digest = backend.digest();
      const hit = cached.get(p.step);
      if (hit && hit.digest === digest) {
        rows.push(hit);
        onProgress?.({ kind: "step", step: p.step, index: index + 1, total: policies.length, cached: true });
        continue;
      }
      const { masks, sampled } = await writeMasks(backend.model, config, passages, o);
      const n = masks.length;
      const row: ProbeRow = {
        step: p.step,
        probeBaseSolveRate: await solveRate(base, config, masks, o.batch),
        probeSolveRate: await solveRate(backend.model, config, masks, o.batch),
        probeValidFrac: sampled ? n / sampled : 0,
        probeSpanWords: n ? masks.reduce((s, k) => s + spanWordCount(k.span), 0) / n : 0,
        probeSpanChars: n ? masks.reduce((s, k) => s + k.span.length, 0) / n : 0,
        probeMasks: n,
        digest,
      };
      rows.push(row);
      // Written after every step, so an interrupted probe keeps what it finished.
      cached.set(row.step, row);
      writeProbeFile(path, settings, [...cached.values()]);
      onProgress?.({ kind: "step", step: p.step, index: index + 1, total: policies.length, cached: false });
    }
  } finally {
    await base.release();
    await backend.model.release();
  }
  writeProbeFile(path, settings, rows);
  return rows.sort((a, b) => a.step - b.step);
}
