// Held-out evaluation of a model for PretrainZero: exact-match accuracy on a fixed, seeded set of
// masked spans (greedy decoding, the predictor's prompt), and next-token loss on the same passages.
// The mask set depends only on the passages and the seed, so every model sees the same questions.

import { PromptEncoder } from "../backends/model/prompting.ts";
import type { LoadedModel } from "../model/model.ts";
import type { ChatTemplateMode } from "../runtime/config.ts";
import { rng } from "../runtime/rng.ts";
import { maskPassage } from "../tasks/pretrainzero/mask.ts";
import { answerCommand, predictorPrompt, TEMPLATE_STOP_STRINGS, type TemplateName } from "../tasks/pretrainzero/prompts.ts";
import { predictorReward } from "../tasks/pretrainzero/rewards.ts";

export interface EvalMask {
  passage: string;
  span: string;
  masked: string;
}

/** One seeded 1–3 word span per passage (whole words, fewer than 8 occurrences). */
export function evalMaskSet(passages: readonly string[], seed: number): EvalMask[] {
  const out: EvalMask[] = [];
  passages.forEach((passage, i) => {
    const words = passage.split(/\s+/).filter(Boolean);
    const r = rng({ seed, step: 0, role: "eval-mask", item: i });
    for (let attempt = 0; attempt < 10; attempt++) {
      const len = 1 + r.int(3);
      if (words.length <= len) break;
      const start = r.int(words.length - len);
      const span = words.slice(start, start + len).join(" ").replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
      if (!span) continue;
      const m = maskPassage(passage, span, { mode: "words" });
      if ("masked" in m) {
        out.push({ passage, span, masked: m.masked });
        break;
      }
    }
  });
  return out;
}

export interface EvalOptions {
  template: TemplateName;
  maxNewTokens: number;
  /** Default: the template's (none for the paper's reasoning, a newline for compact). */
  stopStrings?: string[];
  /** Prompts in the model's chat template (instruct models); default off. */
  chatTemplate?: ChatTemplateMode;
  /** Sequences per generate/score call. */
  batch: number;
}

export interface EvalResult {
  masks: number;
  maskAccuracy: number;
  /** Mean next-token negative log-likelihood (nats/token) over the passages. */
  nll: number;
  tokens: number;
  seconds: number;
}

export async function evaluate(model: LoadedModel, masks: readonly EvalMask[], o: EvalOptions, onProgress?: (done: number) => void): Promise<EvalResult> {
  const t0 = performance.now();
  let solved = 0;
  const prompts = new PromptEncoder(model.tokenizer, o.chatTemplate ?? "off", model.dir);
  // As in training: a paper-template answer ends after its \boxed{...}, never at a newline of its reasoning.
  const answer = answerCommand(o.template, "predictor");
  const stops = { stopStrings: o.stopStrings ?? [...TEMPLATE_STOP_STRINGS[o.template]], ...(answer ? { stopAfterBraced: answer } : {}) };
  for (let i = 0; i < masks.length; i += o.batch) {
    const chunk = masks.slice(i, i + o.batch);
    const out = await model.generate(chunk.map((m) => ({ prompt: prompts.encode(predictorPrompt(m.masked, o.template)), maxNewTokens: o.maxNewTokens, temperature: 0, ...stops })));
    out.forEach((g, j) => (solved += predictorReward(g.text, chunk[j]!.span)));
    onProgress?.(Math.min(masks.length, i + o.batch));
  }
  let nllSum = 0;
  let tokens = 0;
  const passages = [...new Set(masks.map((m) => m.passage))];
  for (let i = 0; i < passages.length; i += o.batch) {
    const seqs = passages.slice(i, i + o.batch).map((p) => model.tokenizer.encode(p));
    const scored = await model.logprobs(seqs.filter((s) => s.length > 1));
    for (const s of scored) {
      for (const lp of s.logprobs) nllSum -= lp;
      tokens += s.logprobs.length;
    }
  }
  return {
    masks: masks.length,
    maskAccuracy: masks.length ? solved / masks.length : 0,
    nll: tokens ? nllSum / tokens : 0,
    tokens,
    seconds: (performance.now() - t0) / 1000,
  };
}
