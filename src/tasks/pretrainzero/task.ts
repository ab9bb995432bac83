// PretrainZero (arXiv 2512.03442) as a task, and the pieces its baselines and RPT share: the mask
// generator and mask reward machines, the masks/answers messages and the predictor's prompts.

import type { Predictions, Role } from "../../protocol/messages.ts";
import type { RunConfig } from "../../runtime/config.ts";
import type { ActorFactory } from "../../runtime/host.ts";
import type { PredictorWork, Task } from "../task.ts";
import type { MaskSource } from "./generator.machine.ts";
import { MASK_MESSAGES, type Answers, type Masks } from "./messages.ts";
import { answerCommand, passageOfGeneratorPrompt, predictorPrompt } from "./prompts.ts";
import { copyConstraint } from "./copy-constraint.ts";
import type { MaskScorer } from "./reward.machine.ts";
import { scorePassage } from "./score.ts";
import { SpanObserver } from "./span-observer.ts";

/** The predictor's prompts for a paragraph's masks, made by `prompt`. */
export function maskWork(prompt: (masked: string, config: RunConfig) => string) {
  return (m: Masks, config: RunConfig): PredictorWork => ({
    step: m.step,
    version: m.version,
    group: m.passage,
    prompts: m.masks.map((x) => ({ key: x.maskId, text: prompt(x.masked, config) })),
  });
}

/** A generator actor over the run's training paragraphs, with masks from `source`. */
export function maskGenerator(source: (config: RunConfig) => MaskSource): ActorFactory {
  return async (env) => {
    const [{ generatorMachine }, { trainPassages }] = await Promise.all([import("./generator.machine.ts"), import("../../data/train-passages.ts")]);
    return generatorMachine({ config: env.config, corpus: await trainPassages(env.config), source: source(env.config), replica: env.replica });
  };
}

/** A reward actor that joins each paragraph's answers and predictions and scores them with `scorer`. */
export function maskReward(scorer: (config: RunConfig) => MaskScorer | Promise<MaskScorer>): ActorFactory {
  return async (env) => {
    const { rewardMachine } = await import("./reward.machine.ts");
    return rewardMachine({ score: await scorer(env.config) });
  };
}

/** PretrainZero's scorer: exact match for the predictor, the run's reward design for the generator. */
export function pretrainZeroScorer(config: RunConfig): MaskScorer {
  return (answers: Answers, predictions: Predictions) =>
    scorePassage({
      passageKey: answers.passage,
      masks: answers.answers.map((a) => ({ maskKey: a.maskId, span: a.span, masked: a.span === null ? null : "" })),
      predictions: new Map(predictions.groups.map((g) => [g.maskId, g.completions])),
      design: config.design,
    });
}

/** Span statistics per step, and span classes when the corpus has a classes file (docs/controlled-corpus.md). */
async function spanObserver(config: RunConfig): Promise<SpanObserver> {
  const { loadSpanClasses, classifySpan, SPAN_LABELS } = await import("../../data/controlled/classify.ts");
  const classes = loadSpanClasses(config.corpus.path);
  if (!classes) return new SpanObserver();
  // A next-token cut hides the span and drops what follows it: its paragraph is found by prefix.
  const { trainPassages } = await import("../../data/train-passages.ts");
  const firstWord = (t: string) => t.slice(0, t.search(/\s|$/));
  const byFirstWord = new Map<string, string[]>();
  for (const t of await trainPassages(config)) byFirstWord.set(firstWord(t), [...(byFirstWord.get(firstWord(t)) ?? []), t]);
  const of = (passage: string, span: string): string => {
    const label = classifySpan(classes, passage, span);
    if (label !== "unknown") return label;
    // The cut's text up to the span (the span itself lost its edge punctuation, "(VCC)" -> "VCC").
    const head = passage.endsWith(span) ? passage.slice(0, passage.length - span.length) : passage;
    // A cut after the first few words can match several paragraphs: the first is taken.
    const whole = byFirstWord.get(firstWord(passage))?.find((t) => t.startsWith(head));
    return whole === undefined ? label : classifySpan(classes, whole, span);
  };
  return new SpanObserver({ classes: SPAN_LABELS, of });
}

/** The mask family's shared declarations; a task overrides what differs. */
export const MASK_TASK_BASE = {
  defaults: {},
  flags: [],
  usesCorpus: true,
  advantage: "group",
  scoredPerStep: (c: RunConfig) => c.passages,
  episodesPerStep: (c: RunConfig) => c.passages * c.genSamples,
  statefulActors: {},
  observer: spanObserver,
  decodingConstraint: (config: RunConfig, role: Role, prompt: string) => (role === "generator" && config.spanDecoding === "copy" ? copyConstraint(passageOfGeneratorPrompt(prompt)) : undefined),
  answerStop: (config: RunConfig, role: Role) => answerCommand(config.template, role),
  messages: MASK_MESSAGES,
  inspector: { episodeTypes: ["sample.request", "sample.response", "entropy.request", "entropy.response", "masks", "answers", "predictions", "scored", "policy.version"] },
} as const satisfies Partial<Task>;

export const PRETRAINZERO: Task = {
  ...MASK_TASK_BASE,
  name: "pretrainzero",
  summary: "PretrainZero: the policy masks a span of each paragraph (\\mask{}) and predicts masked spans (\\boxed{}); both roles train",
  simulator: true,
  // Random masking (design random) leaves the generator untrained.
  trainRoles: (c) => (c.design === "random" ? ["predictor"] : ["generator", "predictor"]),
  predictorWork: { masks: maskWork((masked, c) => predictorPrompt(masked, c.template)) },
  actors: { generator: maskGenerator(() => ({ kind: "policy" })), reward: maskReward(pretrainZeroScorer) },
};
