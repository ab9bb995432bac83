// Episodes out of an episode log, for the inspector. An episode is one generator rollout: the
// passage, the span the generator chose, the masked passage, and the G predictions of that mask,
// joined with the rewards the reward actor sent and the advantages the learner computes from them.
//
// The join follows the message flow (README "How a step flows"): the passage comes from the
// generator's sample.request prompt, its completion from the learner's sample.response, the span
// from `answers`, the masked text from `masks`, predictions from `predictions`, rewards from
// `scored`, and step metrics from the next `policy.version`.

import { trainRoles } from "../../actors/learner.ts";
import { EpisodeLogReader, type LogHeader, type RawRecord } from "../protocol/log.ts";
import type { Role, StepStats } from "../protocol/messages.ts";
import { STAGE_RANK } from "../protocol/message-table.ts";
import { groupAdvantages, isZeroVariance } from "../rl/advantages.ts";
import { DEFAULT_GRPO } from "../rl/grpo.ts";
import { runConfigFrom, type RunConfig } from "../runtime/config.ts";
import { taskOf } from "../tasks/registry.ts";
import { MASK_TOKEN, occurrenceOffsets } from "../tasks/pretrainzero/mask.ts";
import { passageOfGeneratorPrompt } from "../tasks/pretrainzero/prompts.ts";
import { parseBoxed } from "../tasks/pretrainzero/rewards.ts";
import { spanFacts, summariseSpans, type SpanFacts, type SpanSummary } from "../tasks/pretrainzero/span-stats.ts";

/** A log record as the extractor needs it (the log's own unvalidated record shape). */
export type RawLogRecord = RawRecord;

export interface RoleOutcome {
  /** Rewards of the whole GRPO group this episode belongs to, as scored. */
  groupRewards: number[];
  /** groupAdvantages(groupRewards) with the run's GRPO settings (what the learner computes). */
  groupAdvantages: number[];
  zeroVariance: boolean;
  /** Whether the learner trained on the group (role trained under the design, not dropped by dynamic sampling). */
  trained: boolean;
}

export interface Prediction {
  index: number;
  completion: string;
  /** Content of the last \boxed{}, or null. */
  answer: string | null;
  reward: number | null;
  advantage: number | null;
}

export interface Episode {
  /** The mask key, "<passage key>/g<i>". */
  id: string;
  step: number;
  /** Policy version that sampled the rollout. */
  version: number | null;
  passageKey: string;
  /** Rollout index within the passage's generator group. */
  index: number;
  passage: string | null;
  generatorCompletion: string | null;
  span: string | null;
  /** Why the mask was rejected, when it was. */
  invalid: string | null;
  masked: string | null;
  /** [start, end) character ranges of the masked span in `passage`. */
  highlights: [number, number][];
  spanWords: number | null;
  /** What kind of span it is (function words only, cuts a word, occurrences), when the passage is known. */
  spanFacts: SpanFacts | null;
  generator: (RoleOutcome & { reward: number | null; advantage: number | null }) | null;
  predictor: (RoleOutcome & { acc: number | null }) | null;
  predictions: Prediction[];
}

/** What the episode list shows, without the texts. */
export interface EpisodeSummary {
  id: string;
  step: number;
  passageKey: string;
  index: number;
  span: string | null;
  invalid: string | null;
  genReward: number | null;
  genAdvantage: number | null;
  predAcc: number | null;
  predictions: number;
}

export interface StepSummary {
  step: number;
  version: number | null;
  episodes: number;
  passages: number;
  meanGenReward: number | null;
  meanPredAcc: number | null;
  invalid: number;
  /** What kind of spans the step's valid masks hid (src/tasks/pretrainzero/span-stats.ts). */
  spans: SpanSummary;
  /** Metrics of the update that closed the step (from the next policy.version), when recorded. */
  stats: StepStats | null;
  digest: string | null;
}

/**
 * A record the run's task does not join into mask episodes (Absolute Zero's, RLP's), listed as it
 * is: program, input, output and verdict when present, the other fields as they are.
 */
export interface GenericItem {
  seq: number;
  step: number;
  from: string;
  to: string;
  type: string;
  id: string;
  program: string | null;
  input: unknown;
  output: unknown;
  verdict: unknown;
  /** Every other field of the message, JSON-safe. */
  fields: Record<string, unknown>;
}

export interface EpisodeIndex {
  header: LogHeader;
  records: number;
  bytes: number;
  episodes: Episode[];
  steps: StepSummary[];
  generic: GenericItem[];
  /** Problems met while joining (a message missing its partner); shown, never fatal. */
  warnings: string[];
}

export interface EpisodeFilter {
  step?: number;
  role?: Role | "any";
  /** Inclusive reward range; for role "predictor" any prediction in range matches, for "any" either role. */
  minReward?: number;
  maxReward?: number;
  invalidOnly?: boolean;
}

// ---------------------------------------------------------------------------------------------

interface StepParts {
  version: number | null;
  prompts: Map<string, string>;
  genCompletions: Map<string, string[]>;
  masks: Map<string, string>;
  answers: Map<string, { passage: string; span: string | null; invalid: string | null }>;
  predictions: Map<string, string[]>;
  scored: Map<string, { role: Role; rewards: number[]; acc?: number; spanWords?: number[] }>;
  /** Passage keys in the order the generator requested them. */
  passageOrder: string[];
}

const newStep = (): StepParts => ({
  version: null,
  prompts: new Map(),
  genCompletions: new Map(),
  masks: new Map(),
  answers: new Map(),
  predictions: new Map(),
  scored: new Map(),
  passageOrder: [],
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strOr = (v: unknown, d: string | null = null): string | null => (typeof v === "string" ? v : d);
const nums = (v: unknown): number[] => arr(v).filter((x): x is number => typeof x === "number");

/** Typed arrays become plain arrays (long ones shortened) so that anything can go out as JSON. */
export function jsonSafe(v: unknown, maxTyped = 256): unknown {
  if (ArrayBuffer.isView(v)) {
    const all = Array.from(v as unknown as ArrayLike<number>);
    return all.length > maxTyped ? { [`${v.constructor.name}(${all.length})`]: all.slice(0, maxTyped), truncated: true } : all;
  }
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, maxTyped));
  if (typeof v === "bigint") return v.toString();
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x, maxTyped);
    return out;
  }
  return v;
}

/**
 * Where the span was masked: align the masked text with the passage (masked = passage with some
 * occurrences of span replaced by [mask]). Falls back to every occurrence when they do not align.
 */
export function spanHighlights(passage: string, masked: string | null, span: string | null): [number, number][] {
  if (span === null || span.length === 0) return [];
  const all = (): [number, number][] => occurrenceOffsets(passage, span).map((at) => [at, at + span.length]);
  if (masked === null) return all();
  const parts = masked.split(MASK_TOKEN);
  const out: [number, number][] = [];
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i]!;
    if (!passage.startsWith(seg, at)) return all();
    at += seg.length;
    if (i === parts.length - 1) break;
    if (!passage.startsWith(span, at)) return all();
    out.push([at, at + span.length]);
    at += span.length;
  }
  return at === passage.length ? out : all();
}

function passageKeyOf(maskId: string): { passage: string; index: number } | null {
  const m = /^(.*)\/g(\d+)$/.exec(maskId);
  return m ? { passage: m[1]!, index: Number(m[2]) } : null;
}

/**
 * Messages joined into mask episodes under the run's task (step metrics always are; the rest are
 * listed as they are), and the roles its learner trains.
 */
function taskView(config: RunConfig): { joined: Set<string>; roles: Set<Role> } {
  try {
    const task = taskOf(config);
    return { joined: new Set(["policy.version", ...task.inspector.episodeTypes]), roles: new Set(trainRoles(config)) };
  } catch {
    // A task this build does not know: try every message, as PretrainZero's.
    return { joined: new Set(Object.keys(STAGE_RANK)), roles: new Set(["generator", "predictor"]) };
  }
}

/** Builds episodes from records in log order. Pure: tests feed it synthetic records. */
export function extractEpisodes(header: LogHeader, records: Iterable<RawLogRecord>): Omit<EpisodeIndex, "bytes"> {
  const config: RunConfig = runConfigFrom(isObj(header.config) ? header.config : {});
  const { joined, roles } = taskView(config);
  const grpo = { ...DEFAULT_GRPO, ...(isObj(config.grpo) ? config.grpo : {}) };
  const steps = new Map<number, StepParts>();
  const stats = new Map<number, { stats: StepStats | null; digest: string | null; version: number }>();
  const generic: GenericItem[] = [];
  const warnings: string[] = [];
  let count = 0;
  const part = (s: number) => {
    let p = steps.get(s);
    if (!p) steps.set(s, (p = newStep()));
    return p;
  };

  for (const r of records) {
    count++;
    const m = isObj(r.msg) ? r.msg : {};
    if (!joined.has(r.type)) {
      const { program, input, output, verdict, type: _t, ...rest } = m;
      generic.push({
        seq: r.seq,
        step: r.step,
        from: r.from,
        to: r.to,
        type: r.type,
        id: r.id,
        program: typeof program === "string" ? program : program === undefined ? null : JSON.stringify(jsonSafe(program)),
        input: jsonSafe(input) ?? null,
        output: jsonSafe(output) ?? null,
        verdict: jsonSafe(verdict) ?? null,
        fields: jsonSafe(rest) as Obj,
      });
      continue;
    }
    const p = part(r.step);
    switch (r.type) {
      case "policy.version": {
        // Version v is announced at step v and carries the metrics of the update that closed step v-1.
        const version = typeof m.version === "number" ? m.version : r.step;
        if (r.step > 0) stats.set(r.step - 1, { stats: isObj(m.stats) ? (m.stats as unknown as StepStats) : null, digest: strOr(m.digest), version });
        if (p.version === null) p.version = version;
        break;
      }
      case "sample.request":
        if (m.role !== "generator") break;
        for (const pr of arr(m.prompts)) {
          if (!isObj(pr) || typeof pr.key !== "string" || typeof pr.text !== "string") continue;
          let passage: string;
          try {
            passage = passageOfGeneratorPrompt(pr.text);
          } catch {
            passage = pr.text; // another prompt template: show the prompt as is
            warnings.push(`step ${r.step}: prompt ${pr.key} is not a PretrainZero generator prompt; shown whole`);
          }
          if (!p.prompts.has(pr.key)) p.passageOrder.push(pr.key);
          p.prompts.set(pr.key, passage);
        }
        if (p.version === null && typeof m.version === "number") p.version = m.version;
        break;
      case "sample.response":
        if (m.role !== "generator") break;
        for (const res of arr(m.results)) {
          if (!isObj(res) || typeof res.key !== "string") continue;
          p.genCompletions.set(res.key, arr(res.completions).map((c) => (isObj(c) ? (strOr(c.text) ?? "") : "")));
        }
        break;
      case "masks":
        for (const mk of arr(m.masks)) if (isObj(mk) && typeof mk.maskId === "string") p.masks.set(mk.maskId, strOr(mk.masked) ?? "");
        break;
      case "answers":
        for (const a of arr(m.answers)) {
          if (!isObj(a) || typeof a.maskId !== "string") continue;
          p.answers.set(a.maskId, { passage: strOr(m.passage) ?? "", span: strOr(a.span), invalid: strOr(a.invalid) });
        }
        break;
      case "predictions":
        for (const g of arr(m.groups)) {
          if (isObj(g) && typeof g.maskId === "string") p.predictions.set(g.maskId, arr(g.completions).map((c) => strOr(c) ?? ""));
        }
        break;
      case "scored":
        for (const g of arr(m.groups)) {
          if (!isObj(g) || typeof g.key !== "string" || (g.role !== "generator" && g.role !== "predictor")) continue;
          p.scored.set(`${g.role}:${g.key}`, {
            role: g.role,
            rewards: nums(g.rewards),
            ...(typeof g.acc === "number" ? { acc: g.acc } : {}),
            ...(Array.isArray(g.spanWords) ? { spanWords: nums(g.spanWords) } : {}),
          });
        }
        break;
    }
  }

  const outcome = (role: Role, rewards: number[]): RoleOutcome => {
    const zeroVariance = isZeroVariance(rewards);
    return {
      groupRewards: rewards,
      groupAdvantages: groupAdvantages(rewards, { scaleByStd: grpo.scaleByStd, eps: grpo.advEps }),
      zeroVariance,
      trained: roles.has(role) && !(zeroVariance && grpo.dropZeroVariance),
    };
  };

  const episodes: Episode[] = [];
  const summaries: StepSummary[] = [];
  for (const stepNo of [...steps.keys()].sort((a, b) => a - b)) {
    const p = steps.get(stepNo)!;
    // Every rollout the generator sampled, plus any mask only the answers mention.
    const ids = new Map<string, { passage: string; index: number }>();
    for (const key of p.passageOrder) {
      const n = p.genCompletions.get(key)?.length ?? 0;
      for (let i = 0; i < n; i++) ids.set(`${key}/g${i}`, { passage: key, index: i });
    }
    for (const id of p.answers.keys()) {
      const k = passageKeyOf(id);
      if (k && !ids.has(id)) ids.set(id, k);
    }
    const stepEpisodes: Episode[] = [];
    for (const [id, { passage: passageKey, index }] of ids) {
      const passage = p.prompts.get(passageKey) ?? null;
      const answer = p.answers.get(id);
      const masked = p.masks.get(id) ?? null;
      const span = answer?.span ?? null;
      const genScored = p.scored.get(`generator:${passageKey}`);
      const predScored = p.scored.get(`predictor:${id}`);
      const completions = p.predictions.get(id) ?? [];
      if (!answer) warnings.push(`step ${stepNo}: no answer recorded for ${id}`);
      if (answer && answer.span !== null && !predScored) warnings.push(`step ${stepNo}: valid mask ${id} has no scored predictor group`);
      const gen = genScored ? outcome("generator", genScored.rewards) : null;
      const pred = predScored ? outcome("predictor", predScored.rewards) : null;
      stepEpisodes.push({
        id,
        step: stepNo,
        version: p.version,
        passageKey,
        index,
        passage,
        generatorCompletion: p.genCompletions.get(passageKey)?.[index] ?? null,
        span,
        invalid: answer?.invalid ?? (answer && span === null ? "invalid" : null),
        masked,
        highlights: passage === null ? [] : spanHighlights(passage, masked, span),
        spanWords: genScored?.spanWords?.[index] ?? null,
        spanFacts: passage !== null && span !== null && span !== "" ? spanFacts(passage, span) : null,
        generator: gen ? { ...gen, reward: gen.groupRewards[index] ?? null, advantage: gen.groupAdvantages[index] ?? null } : null,
        predictor: pred ? { ...pred, acc: predScored!.acc ?? null } : null,
        predictions: completions.map((completion, i) => ({
          index: i,
          completion,
          answer: parseBoxed(completion),
          reward: pred?.groupRewards[i] ?? null,
          advantage: pred?.groupAdvantages[i] ?? null,
        })),
      });
    }
    episodes.push(...stepEpisodes);
    const genRewards = stepEpisodes.map((e) => e.generator?.reward).filter((x): x is number => typeof x === "number");
    const accs = stepEpisodes.map((e) => e.predictor?.acc).filter((x): x is number => typeof x === "number");
    const st = stats.get(stepNo);
    summaries.push({
      step: stepNo,
      version: p.version,
      episodes: stepEpisodes.length,
      passages: new Set(stepEpisodes.map((e) => e.passageKey)).size,
      meanGenReward: mean(genRewards),
      meanPredAcc: mean(accs),
      invalid: stepEpisodes.filter((e) => e.invalid !== null).length,
      spans: summariseSpans(stepEpisodes.filter((e) => e.invalid === null && e.spanFacts !== null).map((e) => e.spanFacts!)),
      stats: st?.stats ?? null,
      digest: st?.digest ?? null,
    });
  }
  // The final announcement's step has neither episodes nor metrics: not listed.
  return { header, records: count, episodes, steps: summaries.filter((s) => s.episodes > 0 || s.stats !== null), generic, warnings: warnings.slice(0, 200) };
}

function mean(xs: number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Reads a log (every checksum verified, a torn tail refused) and extracts its episodes, streaming. */
export function loadEpisodeIndex(file: string): EpisodeIndex {
  const reader = EpisodeLogReader.open(file);
  const extracted = extractEpisodes(reader.header, reader.records());
  return { ...extracted, bytes: reader.bytes };
}

export function summarize(e: Episode): EpisodeSummary {
  return {
    id: e.id,
    step: e.step,
    passageKey: e.passageKey,
    index: e.index,
    span: e.span,
    invalid: e.invalid,
    genReward: e.generator?.reward ?? null,
    genAdvantage: e.generator?.advantage ?? null,
    predAcc: e.predictor?.acc ?? null,
    predictions: e.predictions.length,
  };
}

const inRange = (x: number | null | undefined, lo: number, hi: number) => typeof x === "number" && x >= lo && x <= hi;

export function matchesFilter(e: Episode, f: EpisodeFilter): boolean {
  if (f.step !== undefined && e.step !== f.step) return false;
  if (f.invalidOnly && e.invalid === null) return false;
  const role = f.role ?? "any";
  // Every episode has a generator rollout; only valid masks have predictions.
  if (f.minReward === undefined && f.maxReward === undefined) return role !== "predictor" || e.predictions.length > 0;
  const lo = f.minReward ?? -Infinity;
  const hi = f.maxReward ?? Infinity;
  const gen = inRange(e.generator?.reward, lo, hi);
  const pred = e.predictions.some((p) => inRange(p.reward, lo, hi));
  return role === "generator" ? gen : role === "predictor" ? pred : gen || pred;
}
