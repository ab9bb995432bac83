// The mask family's step observer (src/tasks/task.ts StepObserver): joins each step's masks (the
// masked paragraphs) with its answers (the hidden spans) and summarises the chosen spans, plus why
// rejected rollouts were rejected. With a corpus whose spans have known classes, also the share of
// each class among the chosen spans.

import type { Message } from "../../protocol/messages.ts";
import type { Answers, Masks } from "./messages.ts";
import { spanFacts, summariseSpans, unmask, type SpanFacts } from "./span-stats.ts";

/** Names a chosen span's class (e.g. trivial / learnable / noise / other), given its paragraph. */
export type SpanClassifier = (passage: string, span: string) => string;

/** Every reason a mask family rollout can be rejected: each is logged every step, 0 when absent, so means over steps are right. */
export const INVALID_REASONS = ["no-mask", "empty", "not-in-passage", "too-frequent", "not-whole-words", "stop-words", "not-entity", "no-span"] as const;

/** "not-in-passage" -> "invalidNotInPassage". */
export function invalidField(reason: string): string {
  return `invalid${reason.replace(/(^|[-_ ])(\w)/g, (_, _s: string, c: string) => c.toUpperCase())}`;
}

interface StepSeen {
  masked: Map<string, string>;
  answers: { maskId: string; span: string | null; invalid?: string }[];
}

export class SpanObserver {
  private steps = new Map<number, StepSeen>();

  constructor(private readonly classify?: { classes: readonly string[]; of: SpanClassifier }) {}

  private seen(step: number): StepSeen {
    let s = this.steps.get(step);
    if (!s) this.steps.set(step, (s = { masked: new Map(), answers: [] }));
    return s;
  }

  see(msg: Message): void {
    if (msg.type === "masks") {
      const m = msg as Masks;
      const s = this.seen(m.step);
      for (const x of m.masks) s.masked.set(x.maskId, x.masked);
    } else if (msg.type === "answers") {
      const a = msg as Answers;
      this.seen(a.step).answers.push(...a.answers);
    }
  }

  take(step: number): Record<string, number> {
    const s = this.steps.get(step);
    this.steps.delete(step);
    if (!s) return {};
    const facts: SpanFacts[] = [];
    const classes = new Map<string, number>();
    const invalid = new Map<string, number>();
    // Sorted by mask id: the figures never depend on the order messages arrived in.
    for (const a of [...s.answers].sort((x, y) => (x.maskId < y.maskId ? -1 : x.maskId > y.maskId ? 1 : 0))) {
      const masked = s.masked.get(a.maskId);
      if (a.span === null || masked === undefined) {
        const why = a.invalid ?? "no-mask";
        invalid.set(why, (invalid.get(why) ?? 0) + 1);
        continue;
      }
      const passage = unmask(masked, a.span);
      facts.push(spanFacts(passage, a.span));
      if (this.classify) {
        const c = this.classify.of(passage, a.span);
        classes.set(c, (classes.get(c) ?? 0) + 1);
      }
    }
    const out: Record<string, number> = { ...summariseSpans(facts) };
    const rollouts = s.answers.length;
    for (const why of INVALID_REASONS) out[invalidField(why)] = 0;
    for (const [why, n] of invalid) out[invalidField(why)] = rollouts === 0 ? 0 : n / rollouts;
    if (this.classify) {
      for (const c of this.classify.classes) out[`spanClass${c[0]!.toUpperCase()}${c.slice(1)}`] = facts.length === 0 ? 0 : (classes.get(c) ?? 0) / facts.length;
    }
    return out;
  }
}
