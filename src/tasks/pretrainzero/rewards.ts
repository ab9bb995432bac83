// PretrainZero rewards (arXiv 2512.03442). The paper gives no answer normalisation; ours is below.
import { lastBracedArgument } from "./braced.ts";

/** Content of the last closed \boxed{...} (nested braces kept), or null. Not trimmed. */
export function parseBoxed(text: string): string | null {
  return lastBracedArgument(text, "boxed");
}

export interface NormalizeOptions {
  /** Strip leading/trailing whitespace. Default true. */
  trim?: boolean;
  /** Turn every internal whitespace run into one space. Default true. */
  collapseWhitespace?: boolean;
  /** Compare case-sensitively. Default true: the span must match the paragraph exactly. */
  caseSensitive?: boolean;
  /** Remove leading/trailing punctuation (e.g. a trailing period). Default false. */
  stripEdgePunctuation?: boolean;
}

/**
 * Answer normalisation before exact match. Default: trim + collapse internal whitespace runs to
 * one space; case-sensitive; punctuation kept. Everything else is an option.
 */
export function normalizeAnswer(s: string, opts: NormalizeOptions = {}): string {
  let out = s;
  const collapse = opts.collapseWhitespace ?? true;
  const trim = opts.trim ?? true;
  // Fast path (the common case on the reward hot path): nothing to collapse or trim.
  if (!(collapse && trim && isTidy(s))) {
    if (collapse) out = out.replace(/\s+/g, " ");
    if (trim) out = out.trim();
  }
  if (opts.stripEdgePunctuation ?? false) out = out.replace(/^[\p{P}\s]+|[\p{P}\s]+$/gu, "");
  if (!(opts.caseSensitive ?? true)) out = out.toLowerCase();
  return out;
}

/** ASCII text with single spaces between words and none at the ends. */
function isTidy(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  if (s.charCodeAt(0) === 32 || s.charCodeAt(n - 1) === 32) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126) return false; // control chars and non-ASCII (e.g. NBSP) take the regex path
    if (c === 32 && s.charCodeAt(i + 1) === 32) return false;
  }
  return true;
}

/** 1 when the last \boxed{} equals the hidden span after normalisation, else 0 (also with no \boxed{}). */
export function predictorReward(completion: string, span: string, opts: NormalizeOptions = {}): 0 | 1 {
  const boxed = parseBoxed(completion);
  if (boxed === null) return 0;
  return normalizeAnswer(boxed, opts) === normalizeAnswer(span, opts) ? 1 : 0;
}

/**
 * minmax: the paper's game. plain: 1 - acc without the acc = 0 exception (an ablation that rewards
 * unpredictable masks). random: random masking baseline; the generator is not trained, the
 * reward is only reported and uses the minmax formula.
 */
export type RewardDesign = "minmax" | "plain" | "random";
export const REWARD_DESIGNS: readonly RewardDesign[] = ["minmax", "plain", "random"];

/**
 * Generator reward from the mask's predictor accuracy. minmax/random: 1 - acc, but 0 when
 * acc is 0 (noise) or 1 (trivial); its maximum with G predictor samples is 1 - 1/G.
 * plain: 1 - acc always. Invalid masks get 0; that is the caller's job.
 */
export function generatorReward(acc: number, design: RewardDesign): number {
  if (!(acc >= 0 && acc <= 1)) throw new RangeError(`generatorReward: acc must be in [0, 1], got ${acc}`);
  if (design === "plain") return 1 - acc;
  if (acc === 0 || acc === 1) return 0;
  return 1 - acc;
}

/** Mean of 0/1 predictor rewards (0 for an empty group). */
export function accuracy(rewards: readonly number[]): number {
  if (rewards.length === 0) return 0;
  let s = 0;
  for (const r of rewards) s += r;
  return s / rewards.length;
}
