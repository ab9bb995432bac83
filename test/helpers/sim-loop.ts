// One PretrainZero step driven in-process, without actors: sample -> mask -> predict -> score ->
// assemble -> train. Used by tests and benchmarks of the simulator; the actors do the same work
// across workers.
import type { Role, SamplePrompt, ScoredGroup, StepStats } from "../../src/protocol/messages.ts";
import { assembleBatch, type Rollout } from "../../src/rl/batch.ts";
import type { LearnerBackend } from "../../src/backends/backend.ts";
import type { MaskOptions } from "../../src/tasks/pretrainzero/mask.ts";
import { generatorPrompt, predictorPrompt } from "../../src/tasks/pretrainzero/prompts.ts";
import type { RewardDesign } from "../../src/tasks/pretrainzero/rewards.ts";
import { masksForPassage, scorePassage, type MaskOutcome } from "../../src/tasks/pretrainzero/score.ts";
import type { GrpoConfig } from "../../src/rl/grpo.ts";
import { DEFAULT_GRPO } from "../../src/rl/grpo.ts";

export interface InProcessStepArgs {
  backend: LearnerBackend;
  step: number;
  version: number;
  seed: number;
  design: RewardDesign;
  passages: readonly { key: string; text: string }[];
  /** Generator rollouts per passage. */
  genN: number;
  /** Predictor rollouts per mask (G). */
  predN: number;
  mask?: MaskOptions;
  grpo?: Partial<GrpoConfig>;
}

export interface InProcessStepResult {
  stats: StepStats;
  masks: MaskOutcome[];
  scored: ScoredGroup[];
}

export async function runInProcessStep(a: InProcessStepArgs): Promise<InProcessStepResult> {
  const grpo = { ...DEFAULT_GRPO, ...a.grpo };
  const rollouts = new Map<string, Rollout>();
  const genPrompts: SamplePrompt[] = a.passages.map((p) => ({ key: p.key, text: generatorPrompt(p.text) }));
  const gen = await a.backend.sample({ type: "sample.request", step: a.step, version: a.version, role: "generator", prompts: genPrompts, n: a.genN }, `${a.step}/gen`);
  const masksByPassage = new Map<string, MaskOutcome[]>();
  const predPrompts: SamplePrompt[] = [];
  for (let i = 0; i < gen.length; i++) {
    const r = gen[i]!;
    const passage = a.passages[i]!;
    rollouts.set(r.key, { prompt: genPrompts[i]!.text, completions: r.completions });
    const masks = masksForPassage({ passageKey: r.key, passage: passage.text, completions: r.completions.map((c) => c.text), mask: a.mask, seed: a.seed, step: a.step });
    masksByPassage.set(r.key, masks);
    for (const m of masks) if (m.masked !== null) predPrompts.push({ key: m.maskKey, text: predictorPrompt(m.masked) });
  }
  const pred = await a.backend.sample({ type: "sample.request", step: a.step, version: a.version, role: "predictor", prompts: predPrompts, n: a.predN }, `${a.step}/pred`);
  const predictions = new Map<string, string[]>();
  for (let i = 0; i < pred.length; i++) {
    const r = pred[i]!;
    rollouts.set(r.key, { prompt: predPrompts[i]!.text, completions: r.completions });
    predictions.set(r.key, r.completions.map((c) => c.text));
  }
  const scored: ScoredGroup[] = [];
  const allMasks: MaskOutcome[] = [];
  for (const [key, masks] of masksByPassage) {
    scored.push(...scorePassage({ passageKey: key, masks, predictions, design: a.design }));
    allMasks.push(...masks);
  }
  const trainRoles: Role[] = a.design === "random" ? ["predictor"] : ["generator", "predictor"];
  const { batch, stats } = assembleBatch({ step: a.step, version: a.version, rollouts, scored, config: grpo, trainRoles });
  const t = await a.backend.train(batch);
  return { stats: { ...stats, loss: t.loss, gradNorm: t.gradNorm, clipFrac: t.clipFrac }, masks: allMasks, scored };
}
