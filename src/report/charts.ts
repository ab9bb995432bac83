// Which charts the report draws and the data behind each: one x axis (the union of the runs'
// steps) and one series per (run, field) present. Charts whose fields no run recorded stay in the
// report, marked "not recorded", so that what is missing is visible.

import type { RunMetrics } from "./metrics.ts";

export interface ChartSpec {
  id: string;
  title: string;
  help: string;
  /** Field names, or a pattern for families of fields (the step-time breakdown). */
  fields: readonly string[] | RegExp;
  /** Legend names of fields; defaults to the field name. */
  labels?: Readonly<Record<string, string>>;
  /** Fixed y range, e.g. [0, 1] for fractions. */
  range?: readonly [number, number];
  log?: boolean;
  /** For a pattern: what it expects, in words (the "not recorded" note). */
  expects?: string;
}

/** The charts of the issue, in its order; anything else numeric goes under "other metrics". */
export const CHART_SPECS: readonly ChartSpec[] = [
  { id: "gen-reward", title: "Generator reward", help: "mean generator reward per step (invalid rollouts count as 0)", fields: ["genReward"], range: [0, 1] },
  { id: "pred-acc", title: "Predictor accuracy", help: "mean predictor accuracy over valid masks", fields: ["predAcc"], range: [0, 1] },
  {
    id: "zero-var",
    title: "Zero-variance group fraction",
    help: "groups whose rewards are all equal; GRPO's dynamic sampling drops them",
    fields: ["zeroVarFrac", "genZeroVarFrac"],
    labels: { zeroVarFrac: "predictor", genZeroVarFrac: "generator" },
    range: [0, 1],
  },
  { id: "invalid", title: "Invalid-mask rate", help: "generator rollouts without a usable mask", fields: ["invalidFrac"], range: [0, 1] },
  { id: "span-words", title: "Masked span length", help: "mean words in valid chosen spans", fields: ["spanWords"] },
  { id: "span-chars", title: "Masked span characters", help: "mean characters in valid chosen spans", fields: ["spanChars"] },
  {
    id: "span-kind",
    title: "What the generator masks",
    help: "shares of valid chosen spans: only function words, cutting a word, occurring once in the paragraph",
    fields: ["spanStopFrac", "spanCutFrac", "spanUniqueFrac"],
    labels: { spanStopFrac: "function words", spanCutFrac: "cuts a word", spanUniqueFrac: "unique in paragraph" },
    range: [0, 1],
  },
  {
    id: "span-class",
    title: "Span classes (controlled corpus)",
    help: "shares of valid chosen spans by known class: trivial, learnable from other documents, noise, other",
    fields: /^spanClass[A-Z]\w*$/,
    expects: "spanClassTrivial, spanClassLearnable, spanClassNoise (a corpus with a classes file)",
    range: [0, 1],
  },
  { id: "azr-valid", title: "Absolute Zero: valid proposals", help: "share of proposals that are valid tasks, overall and per task type", fields: /^azrValid[A-Z]\w*$/, expects: "azrValidFrac, azrValidDeduction, azrValidAbduction, azrValidInduction", range: [0, 1] },
  { id: "azr-solve", title: "Absolute Zero: solve rate", help: "the solver's mean accuracy on valid tasks, overall and per task type", fields: /^azrSolve[A-Z]\w*$/, expects: "azrSolveRate, azrSolveDeduction, azrSolveAbduction, azrSolveInduction", range: [0, 1] },
  { id: "invalid-why", title: "Why masks were invalid", help: "share of generator rollouts rejected, by reason", fields: /^invalid(?!Frac$)[A-Z]\w*$/, expects: "invalid… fields, e.g. invalidNotInPassage", range: [0, 1] },
  {
    id: "probe",
    title: "Difficulty probe",
    help: "on a fixed probe set, the solve rate of the frozen initial model on the spans the generator chooses (difficulty), and of the policy itself",
    fields: ["probeBaseSolveRate", "probeSolveRate", "probeValidFrac"],
    labels: { probeBaseSolveRate: "initial model solves", probeSolveRate: "policy solves", probeValidFrac: "valid masks" },
    range: [0, 1],
  },
  {
    id: "eval-acc",
    title: "Held-out masked-span accuracy",
    help: "greedy exact-match accuracy on a fixed, seeded set of held-out masked spans (train --eval-every, eval.jsonl)",
    fields: ["evalMaskAcc"],
    range: [0, 1],
  },
  { id: "eval-nll", title: "Held-out NLL", help: "mean next-token negative log-likelihood (nats/token) of the held-out passages (train --eval-every, eval.jsonl)", fields: ["evalNll"] },
  {
    id: "curve-acc",
    title: "Checkpoints: held-out masked-span accuracy",
    help: "every checkpoint and the initial model (step 0) scored on the same held-out masks, greedy exact match (eval --all-checkpoints, eval-curve.jsonl)",
    fields: ["curveMaskAcc"],
    range: [0, 1],
  },
  { id: "curve-nll", title: "Checkpoints: held-out NLL", help: "next-token NLL (nats/token) of every checkpoint and the initial model on the same held-out passages (eval --all-checkpoints, eval-curve.jsonl)", fields: ["curveNll"] },
  {
    id: "response-len",
    title: "Response length",
    help: "mean tokens per sampled response",
    fields: ["responseLen", "genResponseLen", "predResponseLen"],
    labels: { genResponseLen: "generator", predResponseLen: "predictor" },
  },
  {
    id: "trunc",
    title: "Truncation rate",
    help: "responses cut at the length limit",
    fields: ["truncFrac", "genTruncFrac", "predTruncFrac"],
    labels: { genTruncFrac: "generator", predTruncFrac: "predictor" },
    range: [0, 1],
  },
  { id: "entropy", title: "Entropy", help: "mean token entropy of the policy", fields: ["entropy", "genEntropy", "predEntropy"], labels: { genEntropy: "generator", predEntropy: "predictor" } },
  {
    id: "clip",
    title: "Clip fractions",
    help: "tokens whose ratio hit the clip (total, below 1-ε_low, above 1+ε_high)",
    fields: ["clipFrac", "clipLow", "clipHigh"],
    labels: { clipFrac: "all", clipLow: "low", clipHigh: "high" },
  },
  { id: "kl", title: "KL", help: "KL to the reference policy, when a KL penalty is on", fields: ["kl"] },
  { id: "lr", title: "Learning rate", help: "learning rate used by the step's update", fields: ["lr"], log: true },
  { id: "tokens-per-s", title: "Tokens/s", help: "tokens processed per second", fields: ["tokensPerS"] },
  { id: "episodes-per-s", title: "Episodes/s", help: "generator rollouts per second, averaged since the start", fields: ["episodesPerS"] },
  {
    id: "step-time",
    title: "Step-time breakdown",
    help: "seconds per step spent in each phase (time…S fields)",
    fields: /^time[A-Z0-9]\w*S$/,
  },
];

/** Fields that are identifiers or bookkeeping, never charted. */
const NOT_CHARTED = new Set(["step", "version", "evalMasks", "evalTokens", "curveMasks"]);

export interface SeriesData {
  run: number;
  field: string;
  label: string;
  /** Aligned with ChartData.x; null where the run has no value. */
  values: (number | null)[];
}

export interface ChartData {
  id: string;
  title: string;
  help: string;
  section: "main" | "other";
  range: [number, number] | null;
  log: boolean;
  /** Field names this chart looks for. */
  wanted: string[];
  /** What the chart expects, in words, for the "not recorded" note. */
  expects: string;
  x: number[];
  series: SeriesData[];
  /** Labels of runs that recorded none of the chart's fields. */
  missingIn: string[];
}

function fieldsOf(spec: ChartSpec, present: readonly string[]): string[] {
  if (Array.isArray(spec.fields)) return [...spec.fields];
  const re = spec.fields as RegExp;
  return present.filter((f) => re.test(f));
}

/** Labels in series names: one run shows field names, several show "run · field". */
function seriesLabel(spec: Pick<ChartSpec, "labels">, field: string, run: string, runs: number, fields: number): string {
  const name = spec.labels?.[field] ?? field;
  if (runs === 1) return name;
  return fields === 1 ? run : `${run} · ${name}`;
}

export function buildCharts(runs: readonly RunMetrics[]): ChartData[] {
  const steps = [...new Set(runs.flatMap((r) => r.rows.map((row) => row.step)))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const allFields = [...new Set(runs.flatMap((r) => r.fields))];
  const claimed = new Set<string>();

  const chart = (spec: ChartSpec, section: ChartData["section"]): ChartData => {
    const wanted = fieldsOf(spec, allFields);
    for (const f of wanted) claimed.add(f);
    const recorded = wanted.filter((f) => runs.some((r) => r.fields.includes(f)));
    const series: SeriesData[] = [];
    runs.forEach((r, ri) => {
      for (const field of recorded) {
        if (!r.fields.includes(field)) continue;
        const values: (number | null)[] = new Array(steps.length).fill(null);
        for (const row of r.rows) if (field in row.values) values[at.get(row.step)!] = row.values[field]!;
        series.push({ run: ri, field, label: seriesLabel(spec, field, r.label, runs.length, recorded.length), values });
      }
    });
    return {
      id: spec.id,
      title: spec.title,
      help: spec.help,
      section,
      range: spec.range ? [spec.range[0], spec.range[1]] : null,
      log: spec.log ?? false,
      wanted,
      expects: Array.isArray(spec.fields) ? spec.fields.join(", ") : (spec.expects ?? "fields named time…S (e.g. timeSampleS, timeTrainS)"),
      x: steps,
      series,
      missingIn: runs.filter((r) => !wanted.some((f) => r.fields.includes(f))).map((r) => r.label),
    };
  };

  const main = CHART_SPECS.map((s) => chart(s, "main"));
  const others = allFields
    .filter((f) => !claimed.has(f) && !NOT_CHARTED.has(f))
    .map((f) => chart({ id: `other-${f}`, title: f, help: "recorded by the run; no dedicated chart", fields: [f] }, "other"));
  return [...main, ...others];
}
