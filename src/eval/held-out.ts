// Held-out metrics of a run's policy at one step (the initial model at step 0, else checkpoint N):
// masked-span exact-match accuracy and next-token NLL on the held-out split of the run's corpus, by
// src/eval/pretrainzero-eval.ts (the mask set of `bun run eval`: one seeded span per passage). The
// predictor is asked as training asks it (the run's template, stop strings and predictor token
// limit) but greedily, so the figures depend only on the parameters: a rerun gives the same rows.

import { join } from "node:path";
import { ModelBackend } from "../backends/model/backend.ts";
import { loadPassages } from "../data/corpus.ts";
import { actorStateOf, checkpointName, readCheckpoint } from "../runtime/checkpoint.ts";
import { decodeLearnerState } from "../runtime/learner-state.ts";
import { openRunDir, readSavedRun } from "../runtime/run-dir.ts";
import { heldOutUnsupported } from "./eval-every.ts";
import { evalMaskSet, evaluate } from "./pretrainzero-eval.ts";

export interface HeldOutOptions {
  /** Held-out passages (one mask each). */
  passages: number;
  /** Seed of the mask set (bun run eval's default: 0). */
  seed: number;
  /** Sequences per generate/score call. */
  batch: number;
}

export const HELD_OUT_DEFAULTS: HeldOutOptions = { passages: 200, seed: 0, batch: 32 };

/** One row of RUN/eval.jsonl. */
export interface HeldOutRow {
  /** Policy updates behind the parameters (0: the initial model); charted beside metrics row `step`, which this policy sampled. */
  step: number;
  /** Exact-match accuracy of greedy answers to the held-out masks. */
  evalMaskAcc: number;
  /** Mean next-token negative log-likelihood (nats/token) of the held-out passages. */
  evalNll: number;
  evalMasks: number;
  evalTokens: number;
  /** The evaluated parameters' digest. */
  digest: string;
  /** Seconds the evaluation took (its process included), under `wall` as in metrics.jsonl. */
  wall: { seconds: number };
}

/** A run or checkpoint that cannot be evaluated (exit code 2, one line). */
export class HeldOutError extends Error {
  override name = "HeldOutError";
  readonly exitCode = 2;
}

/** Evaluates the policy of the run in `runPath` after `step` updates. */
export async function heldOutRow(runPath: string, step: number, options: Partial<HeldOutOptions> = {}): Promise<HeldOutRow> {
  const o = { ...HELD_OUT_DEFAULTS, ...options };
  const t0 = performance.now();
  const dir = openRunDir(runPath);
  const config = readSavedRun(dir).config;
  const why = heldOutUnsupported(config);
  if (why) throw new HeldOutError(`run ${dir.path}: ${why}`);
  const c = config.corpus;
  const { heldOut } = await loadPassages(c.path, { minWords: c.minWords, maxWords: c.maxWords, heldOutFraction: c.heldOut, seed: c.seed, textField: c.textField, cache: true });
  if (heldOut.length === 0) throw new HeldOutError(`corpus ${c.path} has no held-out passages; accepted: a run whose corpus holds some out (--held-out above 0)`);
  const masks = evalMaskSet(heldOut.slice(0, o.passages).map((p) => p.text), o.seed);
  const backend = ModelBackend.load(config);
  try {
    if (step > 0) {
      const path = join(dir.path, "checkpoints", checkpointName(step));
      const state = actorStateOf(readCheckpoint(path), "learner");
      if (!state) throw new HeldOutError(`checkpoint ${path} holds no learner state`);
      const learner = decodeLearnerState(state);
      if (learner.step !== step) throw new HeldOutError(`checkpoint ${path} holds the learner of step ${learner.step}, not ${step}`);
      backend.restore(learner.backend);
    }
    const m = config.model;
    const r = await evaluate(backend.model, masks, { template: config.template, maxNewTokens: m.maxNewTokens.predictor, stopStrings: m.stopStrings, chatTemplate: m.chatTemplate, batch: o.batch });
    return { step, evalMaskAcc: r.maskAccuracy, evalNll: r.nll, evalMasks: r.masks, evalTokens: r.tokens, digest: backend.digest(), wall: { seconds: Math.round(performance.now() - t0) / 1000 } };
  } finally {
    await backend.model.release();
  }
}
