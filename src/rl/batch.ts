// Joins scored groups with the rollouts the learner sampled into one canonical GRPO batch.
import type { Completion, Role, ScoredGroup, StepStats } from "../protocol/messages.ts";
import { groupAdvantages, isZeroVariance, trrAdvantages } from "./advantages.ts";
import type { GrpoBatch, TrainGroup } from "./batch-types.ts";
import type { GrpoConfig } from "./grpo.ts";

export interface Rollout {
  prompt: string;
  completions: Completion[];
}

export interface AssembleArgs {
  step: number;
  version: number;
  /** What the learner sampled this step, by prompt key. */
  rollouts: Map<string, Rollout>;
  scored: ScoredGroup[];
  config: Pick<GrpoConfig, "scaleByStd" | "advEps" | "dropZeroVariance">;
  /** Roles whose groups enter the batch (e.g. only "predictor" under random masking). Stats cover all roles. */
  trainRoles: readonly Role[];
  /**
   * "group": GRPO, each group normalised by itself (zero-variance groups may be dropped).
   * "trr": TRR++ (Absolute Zero), normalised per task type x role over the whole batch.
   */
  advantage?: "group" | "trr";
}

export type BatchStats = Omit<StepStats, "loss" | "gradNorm" | "clipFrac">;

export interface AssembledBatch {
  batch: GrpoBatch;
  stats: BatchStats;
}

function byRoleThenKey(a: ScoredGroup, b: ScoredGroup): number {
  if (a.role !== b.role) return a.role < b.role ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Build the step's batch. Groups are sorted by (role, key) with plain string comparison, so the
 * batch never depends on the order in which scores arrived. Throws when a scored group has no
 * rollout, has a different number of rewards than completions, or appears twice.
 */
export function assembleBatch(args: AssembleArgs): AssembledBatch {
  const { rollouts, config } = args;
  const sorted = [...args.scored].sort(byRoleThenKey);
  const trainRoles = new Set(args.trainRoles);

  const groups: TrainGroup[] = [];
  const genRewards: number[] = [];
  const predAccs: number[] = [];
  const validSpanWords: number[] = [];
  let predGroups = 0;
  let predZeroVar = 0;
  let genGroups = 0;
  let genZeroVar = 0;
  let invalid = 0;
  let trained = 0;

  for (let i = 0; i < sorted.length; i++) {
    const g = sorted[i]!;
    if (i > 0 && byRoleThenKey(sorted[i - 1]!, g) === 0) {
      throw new Error(`assembleBatch: step ${args.step}: ${g.role} group "${g.key}" was scored twice`);
    }
    const zeroVar = isZeroVariance(g.rewards);
    if (g.role === "generator") {
      genGroups++;
      if (zeroVar) genZeroVar++;
      for (const r of g.rewards) genRewards.push(r);
      invalid += g.invalid ?? 0;
      for (const w of g.spanWords ?? []) if (w > 0) validSpanWords.push(w);
    } else {
      predGroups++;
      if (zeroVar) predZeroVar++;
      predAccs.push(g.acc ?? mean(g.rewards));
    }
    // Roles that are not trained (baselines, random masking) may have no rollouts at all.
    if (!trainRoles.has(g.role)) continue;
    const rollout = rollouts.get(g.key);
    if (rollout === undefined) {
      throw new Error(`assembleBatch: step ${args.step}: no rollout for scored ${g.role} group "${g.key}"`);
    }
    if (rollout.completions.length !== g.rewards.length) {
      throw new Error(
        `assembleBatch: step ${args.step}: ${g.role} group "${g.key}" has ${g.rewards.length} rewards for ${rollout.completions.length} completions`,
      );
    }
    if (zeroVar && config.dropZeroVariance && args.advantage !== "trr") continue;
    groups.push({
      role: g.role,
      key: g.key,
      prompt: rollout.prompt,
      completions: rollout.completions,
      rewards: g.rewards,
      advantages: groupAdvantages(g.rewards, { scaleByStd: config.scaleByStd, eps: config.advEps }),
      ...(g.taskType !== undefined ? { taskType: g.taskType } : {}),
    });
    trained += g.rewards.length;
  }

  if (args.advantage === "trr") {
    // One pass over every trained sample: each is normalised within its (task type, role) bucket.
    const rewards = groups.flatMap((g) => g.rewards);
    const buckets = groups.flatMap((g) => g.rewards.map(() => `${g.taskType ?? "none"}/${g.role}`));
    const adv = trrAdvantages(rewards, buckets, { eps: config.advEps });
    let k = 0;
    for (const g of groups) g.advantages = g.rewards.map(() => adv[k++]!);
  }

  const stats: BatchStats = {
    genReward: mean(genRewards),
    predAcc: mean(predAccs),
    zeroVarFrac: predGroups === 0 ? 0 : predZeroVar / predGroups,
    genZeroVarFrac: genGroups === 0 ? 0 : genZeroVar / genGroups,
    spanWords: mean(validSpanWords),
    invalidFrac: genRewards.length === 0 ? 0 : invalid / genRewards.length,
    trained,
    episodes: genRewards.length,
  };
  return { batch: { step: args.step, version: args.version, groups }, stats };
}
