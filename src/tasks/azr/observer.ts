// Absolute Zero's step observer (src/tasks/task.ts StepObserver): what the paper tracks per task
// type (arXiv 2505.03335 §4): the share of proposals that are valid programs/inputs, and how often
// the solver solves the tasks, for deduction, abduction and induction. Read from the scored
// messages, which carry both roles' groups tagged with their task type.

import type { Message, Scored } from "../../protocol/messages.ts";
import { AZR_TASK_TYPES } from "./types.ts";

interface Tally {
  proposals: number;
  valid: number;
  solveSum: number;
  solveGroups: number;
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export class AzrObserver {
  private steps = new Map<number, Map<string, Tally>>();

  see(msg: Message): void {
    if (msg.type !== "scored") return;
    const m = msg as Scored;
    let byType = this.steps.get(m.step);
    if (!byType) this.steps.set(m.step, (byType = new Map()));
    for (const g of m.groups) {
      const type = g.taskType ?? "unknown";
      let t = byType.get(type);
      if (!t) byType.set(type, (t = { proposals: 0, valid: 0, solveSum: 0, solveGroups: 0 }));
      if (g.role === "generator") {
        t.proposals += g.rewards.length;
        t.valid += g.rewards.length - (g.invalid ?? 0);
      } else {
        t.solveSum += g.acc ?? g.rewards.reduce((a, r) => a + r, 0) / Math.max(1, g.rewards.length);
        t.solveGroups++;
      }
    }
  }

  /** azrValidFrac / azrSolveRate overall and per type (azrValidDeduction, azrSolveInduction...). */
  take(step: number): Record<string, number> {
    const byType = this.steps.get(step);
    this.steps.delete(step);
    if (!byType) return {};
    const out: Record<string, number> = {};
    const all: Tally = { proposals: 0, valid: 0, solveSum: 0, solveGroups: 0 };
    for (const type of AZR_TASK_TYPES) {
      const t = byType.get(type);
      if (!t) continue;
      all.proposals += t.proposals;
      all.valid += t.valid;
      all.solveSum += t.solveSum;
      all.solveGroups += t.solveGroups;
      if (t.proposals > 0) out[`azrValid${cap(type)}`] = t.valid / t.proposals;
      // A type with no valid proposal has nothing to solve: its solve rate is absent, not 0.
      if (t.solveGroups > 0) out[`azrSolve${cap(type)}`] = t.solveSum / t.solveGroups;
    }
    if (all.proposals > 0) out.azrValidFrac = all.valid / all.proposals;
    if (all.solveGroups > 0) out.azrSolveRate = all.solveSum / all.solveGroups;
    return out;
  }
}
