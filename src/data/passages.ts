// Which paragraphs a step trains on. A pure function of (corpus, seed, step): epochs walk a
// seeded permutation of the corpus, so any step's passages can be recomputed without state.

import { rng } from "../runtime/rng.ts";
import type { SamplePrompt } from "../protocol/messages.ts";

export interface StepPassage {
  key: string;
  text: string;
}

export function passagesForStep(corpus: readonly string[], seed: number, step: number, count: number): StepPassage[] {
  if (corpus.length === 0) throw new Error("the corpus has no passages");
  const out: StepPassage[] = [];
  for (let i = 0; i < count; i++) {
    const flat = step * count + i;
    const epoch = Math.floor(flat / corpus.length);
    const perm = epochPermutation(corpus.length, seed, epoch);
    out.push({ key: `s${step}/p${i}`, text: corpus[perm[flat % corpus.length]!]! });
  }
  return out;
}

const permCache = new Map<string, number[]>();

function epochPermutation(n: number, seed: number, epoch: number): number[] {
  const k = `${n}:${seed}:${epoch}`;
  let p = permCache.get(k);
  if (!p) {
    if (permCache.size > 4) permCache.clear();
    p = rng({ seed, step: epoch, role: "corpus", item: 0 }).permutation(n);
    permCache.set(k, p);
  }
  return p;
}

/** Split prompts into request-sized chunks, preserving order. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type { SamplePrompt };
