// `--log-completions N`: up to N sampled prompts and completions per step, with their rewards, in
// RUN/completions.jsonl. Everything is read off the messages the hub routes (HubOptions.observe),
// so the episode log is untouched: sample.request gives the prompts, sample.response the
// completions (their text; model backends also carry token ids), scored the rewards. The mask
// family's answers add the span each generator rollout chose and each mask's hidden answer.
//
// Which N is deterministic, whatever order messages arrived in: first completions before second
// ones, then generator before predictor, then prompts in key order (s0/p2 before s0/p10). So a
// small N shows one completion of many prompts rather than many of one.

import type { Completion, Message, Role, SampleRequest, SampleResponse, Scored, ScoredGroup } from "../../protocol/messages.ts";
import type { Answers } from "../../tasks/pretrainzero/messages.ts";
import { maskKey } from "../../tasks/pretrainzero/score.ts";

export interface CompletionRow {
  step: number;
  /** Policy version that sampled it. */
  version: number;
  role: Role;
  /** The prompt's key: a passage ("s0/p1"), a mask ("s0/p1/g0"), an Absolute Zero task... */
  key: string;
  /** The scored item the prompt belongs to (e.g. its passage). */
  item: string;
  /** Which of the prompt's completions (0-based). */
  sample: number;
  prompt: string;
  completion: string;
  reward: number;
  /** Sampled tokens, when the backend samples tokens. */
  tokens?: number;
  /** Predictor groups: the group's accuracy. */
  acc?: number;
  /** Absolute Zero: the task type. */
  taskType?: string;
  /** Mask family, generator: the span it masked, or why the rollout was invalid. */
  span?: string | null;
  invalid?: string;
  /** Mask family, predictor: the hidden span it had to fill. */
  answer?: string;
}

interface StepSeen {
  prompts: Map<string, string>;
  completions: Map<string, { version: number; completions: Completion[] }>;
  groups: { item: string; group: ScoredGroup }[];
  answers: Map<string, { span: string | null; invalid?: string }>;
}

const ROLE_RANK: Record<Role, number> = { generator: 0, predictor: 1 };
const roleKey = (role: Role, key: string) => `${role}\u0000${key}`;

/** Keys in natural order: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x) && /^\d/.test(y);
    if (nx && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

export class CompletionLog {
  private steps = new Map<number, StepSeen>();

  constructor(private readonly perStep: number) {}

  private seen(step: number): StepSeen {
    let s = this.steps.get(step);
    if (!s) this.steps.set(step, (s = { prompts: new Map(), completions: new Map(), groups: [], answers: new Map() }));
    return s;
  }

  see(msg: Message): void {
    if (this.perStep <= 0) return;
    if (msg.type === "sample.request") {
      const m = msg as SampleRequest;
      const s = this.seen(m.step);
      for (const p of m.prompts) s.prompts.set(roleKey(m.role, p.key), p.text);
    } else if (msg.type === "sample.response") {
      const m = msg as SampleResponse;
      const s = this.seen(m.step);
      for (const r of m.results) s.completions.set(roleKey(m.role, r.key), { version: m.version, completions: r.completions });
    } else if (msg.type === "scored") {
      const m = msg as Scored;
      const s = this.seen(m.step);
      for (const g of m.groups) s.groups.push({ item: m.passage, group: g });
    } else if (msg.type === "answers") {
      const m = msg as Answers;
      const s = this.seen(m.step);
      for (const a of m.answers) s.answers.set(a.maskId, { span: a.span, ...(a.invalid !== undefined ? { invalid: a.invalid } : {}) });
    }
  }

  /** The step's rows (at most N) and forgets the step; every scored completion is a candidate. */
  take(step: number): CompletionRow[] {
    const s = this.steps.get(step);
    this.steps.delete(step);
    if (!s) return [];
    const groups = [...s.groups].sort((a, b) => ROLE_RANK[a.group.role] - ROLE_RANK[b.group.role] || naturalCompare(a.group.key, b.group.key));
    const widest = Math.max(0, ...groups.map((g) => g.group.rewards.length));
    const rows: CompletionRow[] = [];
    for (let i = 0; i < widest && rows.length < this.perStep; i++) {
      for (const { item, group: g } of groups) {
        if (rows.length >= this.perStep) break;
        if (i >= g.rewards.length) continue;
        const sampled = s.completions.get(roleKey(g.role, g.key));
        const c = sampled?.completions[i];
        const prompt = s.prompts.get(roleKey(g.role, g.key));
        if (!sampled || !c || prompt === undefined) continue;
        const row: CompletionRow = { step, version: sampled.version, role: g.role, key: g.key, item, sample: i, prompt, completion: c.text, reward: g.rewards[i]! };
        if (c.tokens) row.tokens = c.tokens.length;
        if (g.acc !== undefined) row.acc = g.acc;
        if (g.taskType !== undefined) row.taskType = g.taskType;
        const chosen = g.role === "generator" ? s.answers.get(maskKey(g.key, i)) : undefined;
        if (chosen) {
          row.span = chosen.span;
          if (chosen.invalid !== undefined) row.invalid = chosen.invalid;
        }
        const hidden = g.role === "predictor" ? s.answers.get(g.key)?.span : undefined;
        if (typeof hidden === "string") row.answer = hidden;
        rows.push(row);
      }
    }
    return rows;
  }
}
