// RPT's prefix-matching reward (Reinforcement Pre-Training, arXiv 2506.08007 §3.2): a prediction
// earns 1 when its bytes are a prefix of the ground-truth continuation and end on one of the
// continuation's token boundaries, so a prediction may cover one token or several but never part
// of one.

import { parseBoxed } from "../pretrainzero/rewards.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;

/**
 * Byte offsets in `continuation` where its tokens end. `prefixes[i]` is the decoding of the
 * continuation's first i+1 tokens; a prefix that is not a prefix of the text (a token ending inside
 * a multi-byte character) marks no boundary.
 */
export function tokenBoundaries(continuation: string, prefixes: readonly string[]): number[] {
  const out: number[] = [];
  for (const p of prefixes) if (p.length > 0 && continuation.startsWith(p)) out.push(bytes(p));
  return [...new Set(out)];
}

/**
 * 1 when the completion's \boxed{} answer is a prefix of `continuation` that ends on a token
 * boundary, else 0. Leading whitespace is not part of the answer: the continuation's own is
 * skipped (and the boundaries with it), and the answer is trimmed.
 */
export function prefixReward(completion: string, continuation: string, boundaries: readonly number[]): 0 | 1 {
  const answer = parseBoxed(completion)?.trim();
  if (!answer) return 0;
  const lead = continuation.length - continuation.trimStart().length;
  const truth = continuation.slice(lead);
  if (!truth.startsWith(answer)) return 0;
  const end = bytes(continuation.slice(0, lead)) + bytes(answer);
  return boundaries.includes(end) ? 1 : 0;
}
