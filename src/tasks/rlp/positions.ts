// Where RLP predicts: a word boundary of the paragraph (so a context never ends inside a word),
// drawn uniformly after the first few words, as the next-token baseline does.

import type { Rng } from "../../runtime/rng.ts";
import { words } from "../baselines/masks.ts";

/** The words before a random word k (k >= minContext) and that word with its leading space; null when the paragraph is too short. */
export function rlpCut(passage: string, r: Rng, minContext: number): { context: string; target: string } | null {
  const ws = words(passage);
  if (ws.length <= minContext) return null;
  const k = minContext + r.int(ws.length - minContext);
  return { context: ws.slice(0, k).join(" "), target: ` ${ws[k]!}` };
}
