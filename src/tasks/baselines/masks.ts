// The paper's RL-pretraining baselines, as mask makers that need no generator policy
// (PretrainZero, arXiv 2512.03442): random masked spans (SpanBERT-style), random next-token (cut the text at a
// random word and predict the next word), and entropy-selected next-token (RPT: cut before a word
// whose first token is among the policy's most uncertain predictions).

import type { Rng } from "../../runtime/rng.ts";
import type { LocalMask } from "../pretrainzero/generator.machine.ts";
import { MASK_TOKEN, maskPassage } from "../pretrainzero/mask.ts";


const EDGE_PUNCT = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

export function words(passage: string): string[] {
  return passage.split(/\s+/).filter(Boolean);
}

/** SpanBERT: span length ~ Geometric(0.2) clipped to [1, 10] words, whole words, every occurrence masked. */
export function randomSpanMask(passage: string, r: Rng, maxOccurrences = 8): LocalMask | null {
  const ws = words(passage);
  for (let attempt = 0; attempt < 10; attempt++) {
    let len = 1;
    while (len < 10 && r.float() >= 0.2) len++;
    len = Math.min(len, Math.max(1, ws.length - 1));
    const start = r.int(ws.length - len + 1);
    const span = ws.slice(start, start + len).join(" ").replace(EDGE_PUNCT, "");
    if (!span) continue;
    const m = maskPassage(passage, span, { mode: "words", maxOccurrences });
    if ("masked" in m) return { span, masked: m.masked };
  }
  return null;
}

/** The passage cut before word k: the prefix and the hidden next word (edge punctuation removed). */
export function cutBefore(passage: string, k: number): LocalMask | null {
  const ws = words(passage);
  if (k < 1 || k >= ws.length) return null;
  const span = ws[k]!.replace(EDGE_PUNCT, "");
  if (!span) return null;
  return { span, masked: `${ws.slice(0, k).join(" ")} ${MASK_TOKEN}` };
}

/** Random next-token: a cut at a uniformly random word (never the first). */
export function nextTokenMask(passage: string, r: Rng): LocalMask | null {
  const n = words(passage).length;
  for (let attempt = 0; attempt < 10 && n > 1; attempt++) {
    const m = cutBefore(passage, 1 + r.int(n - 1));
    if (m) return m;
  }
  return null;
}

/** Word indices whose entropy is in the top `frac` (word 0 excluded), highest first. */
export function topEntropyWords(entropies: readonly number[], frac = 0.2): number[] {
  const idx = entropies.map((_, i) => i).filter((i) => i > 0);
  idx.sort((a, b) => entropies[b]! - entropies[a]! || a - b);
  return idx.slice(0, Math.max(1, Math.ceil(idx.length * frac)));
}

/** Entropy-selected next-token: a cut before a random word among the most uncertain ones. */
export function entropyMask(passage: string, entropies: readonly number[], r: Rng, frac = 0.2): LocalMask | null {
  const top = topEntropyWords(entropies, frac);
  for (let attempt = 0; attempt < 10 && top.length > 0; attempt++) {
    const m = cutBefore(passage, top[r.int(top.length)]!);
    if (m) return m;
  }
  return null;
}
