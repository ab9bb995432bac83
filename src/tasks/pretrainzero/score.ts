// The reward actor's work for one passage, as plain functions: completions -> masks -> scored groups.
import type { ScoredGroup } from "../../protocol/messages.ts";
import { rng } from "../../runtime/rng.ts";
import { maskPassage, parseMask, spanWordCount, type MaskInvalid, type MaskOptions } from "./mask.ts";
import { accuracy, generatorReward, predictorReward, type NormalizeOptions, type RewardDesign } from "./rewards.ts";

/** Key of the i-th generator rollout's mask: "<passage key>/g<i>". */
export function maskKey(passageKey: string, i: number): string {
  return `${passageKey}/g${i}`;
}

export interface MaskOutcome {
  maskKey: string;
  /** The span inside \mask{}, or null when there was none. */
  span: string | null;
  /** The masked passage for the predictor; null when the mask is unusable. */
  masked: string | null;
  invalid?: "no-mask" | "empty" | MaskInvalid;
}

/** Parse and apply each generator completion's mask. Mode "one" draws its occurrence from rng keyed (seed, step, "mask", maskKey). */
export function masksForPassage(args: {
  passageKey: string;
  passage: string;
  completions: readonly string[];
  mask?: MaskOptions;
  seed: number;
  step: number;
}): MaskOutcome[] {
  return args.completions.map((text, i) => {
    const key = maskKey(args.passageKey, i);
    const parsed = parseMask(text);
    if ("invalid" in parsed) return { maskKey: key, span: null, masked: null, invalid: parsed.invalid };
    const pick = args.mask?.mode === "one" ? rng({ seed: args.seed, step: args.step, role: "mask", item: key }) : undefined;
    const res = maskPassage(args.passage, parsed.span, args.mask, pick);
    if ("invalid" in res) return { maskKey: key, span: parsed.span, masked: null, invalid: res.invalid };
    return { maskKey: key, span: parsed.span, masked: res.masked };
  });
}

/**
 * Scored groups of one passage: one generator group (key = passage key, one reward per rollout,
 * 0 for unusable masks) and one predictor group per usable mask (key = mask key).
 * `predictions` maps mask key -> predictor completion texts.
 */
export function scorePassage(args: {
  passageKey: string;
  masks: readonly MaskOutcome[];
  predictions: ReadonlyMap<string, readonly string[]>;
  design: RewardDesign;
  normalize?: NormalizeOptions;
  /** The predictor's reward of one completion (default: exact match of the \boxed{} answer). */
  reward?: (completion: string, span: string) => number;
}): ScoredGroup[] {
  const reward = args.reward ?? ((p: string, span: string) => predictorReward(p, span, args.normalize));
  const genRewards: number[] = [];
  const spanWords: number[] = [];
  const predGroups: ScoredGroup[] = [];
  let invalid = 0;
  for (const m of args.masks) {
    if (m.masked === null || m.span === null) {
      invalid++;
      genRewards.push(0);
      spanWords.push(0);
      continue;
    }
    const preds = args.predictions.get(m.maskKey);
    if (preds === undefined || preds.length === 0) throw new Error(`scorePassage: no predictions for mask "${m.maskKey}"`);
    const rewards = preds.map((p) => reward(p, m.span!));
    const acc = accuracy(rewards);
    predGroups.push({ role: "predictor", key: m.maskKey, rewards, acc });
    genRewards.push(generatorReward(acc, args.design));
    spanWords.push(spanWordCount(m.span));
  }
  return [{ role: "generator", key: args.passageKey, rewards: genRewards, spanWords, invalid }, ...predGroups];
}
