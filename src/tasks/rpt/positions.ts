// Where RPT asks for the next token (arXiv 2506.08007 §3.3): at positions where a proxy model is
// uncertain. Here the proxy is the policy itself (the learner's per-word next-token entropies),
// and a position is the start of a whitespace word, so a context never ends inside a word.

import type { Rng } from "../../runtime/rng.ts";
import { topEntropyWords, words } from "../baselines/masks.ts";
import type { LocalMask } from "../pretrainzero/generator.machine.ts";

/**
 * A cut before a random word among the top `frac` of next-token entropies: `masked` is the
 * context (the words before it), `span` the ground-truth continuation (that word and up to
 * `continuationWords - 1` more, with its leading space).
 */
export function rptCut(passage: string, entropies: readonly number[], r: Rng, frac: number, continuationWords: number): LocalMask | null {
  const ws = words(passage);
  const top = topEntropyWords(entropies, frac).filter((k) => k >= 1 && k < ws.length);
  if (top.length === 0) return null;
  const k = top[r.int(top.length)]!;
  return { masked: ws.slice(0, k).join(" "), span: ` ${ws.slice(k, k + continuationWords).join(" ")}` };
}
