// `bun run eval`: held-out masked-span exact-match accuracy and next-token loss, for a model folder,
// a run's newest checkpoint, or several runs side by side (--compare).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPassages } from "../data/corpus.ts";
import { evalMaskSet, evaluate, type EvalResult } from "../eval/pretrainzero-eval.ts";
import { ModelBackend } from "../backends/model/backend.ts";
import { loadModel, type LoadedModel } from "../model/model.ts";
import { decodeValue } from "../protocol/codec.ts";
import { newestUsableCheckpoint } from "../runtime/resume.ts";
import { CHAT_TEMPLATE_MODES, DEFAULT_RUN_CONFIG, type ChatTemplateMode, type CorpusConfig } from "../runtime/config.ts";
import { openRunDir, readSavedRun } from "../runtime/run-dir.ts";
import { TEMPLATE_NAMES, type TemplateName } from "../tasks/pretrainzero/prompts.ts";
import { bool, defineCommand, InputError, int, optOneOf } from "./args.ts";
import { CORPUS_FLAGS, MODEL_FLAGS, readCorpus, readModel, withoutDefaults } from "./flags/index.ts";
import { Progress } from "./progress.ts";

interface Subject {
  label: string;
  model: LoadedModel;
  corpus: CorpusConfig;
  template: TemplateName;
  /** Prompts in the model's chat template (the run's --chat-template, or eval's). */
  chatTemplate: ChatTemplateMode;
  step: number | null;
  cache?: string;
}

/** The base model's passages: as short as a model run's (src/cli/self-play.ts), which it is compared with. */
const BASE_CORPUS: CorpusConfig = { ...DEFAULT_RUN_CONFIG.corpus, minWords: 20, maxWords: 60 };

function describeCorpus(c: CorpusConfig): string {
  return `${c.path}, ${c.minWords}-${c.maxWords} words, held-out ${c.heldOut}`;
}

async function subjectOfRun(path: string): Promise<Subject> {
  const dir = openRunDir(path);
  const saved = readSavedRun(dir);
  const config = saved.config;
  if (config.backend !== "model") throw new InputError(`run ${dir.path} trained the simulator, not a model; accepted: runs of train with --backend model`);
  const backend = ModelBackend.load(config);
  const { checkpoint, skipped } = newestUsableCheckpoint(join(dir.path, "checkpoints"), config);
  for (const s of skipped) console.error(`warning: skipping ${s.reason.startsWith("checkpoint ") ? "" : `checkpoint ${s.path}: `}${s.reason}`);
  let step: number | null = null;
  if (checkpoint) {
    const state = decodeValue(checkpoint.files["learner.bin"]!) as { step: number; backend: Uint8Array };
    try {
      backend.restore(state.backend);
    } catch (e) {
      throw new InputError(`${join(checkpoint.path, "learner.bin")}: ${(e as Error).message.split("\n")[0]}; accepted: a checkpoint of this run's model`);
    }
    step = state.step;
  } else {
    console.error(`warning: run ${dir.path} has no checkpoint; evaluating its initial model`);
  }
  return { label: dir.name, model: backend.model, corpus: config.corpus, template: config.template, chatTemplate: config.model.chatTemplate, step, cache: join(dir.path, `eval-${step ?? 0}.json`) };
}

export const evalCommand = defineCommand(
  {
    name: "eval",
    summary: "Score a model or runs on held-out passages: masked-span exact-match accuracy (fixed seeded masks, greedy) and next-token loss.",
    positionals: [{ name: "RUN", help: "run folders to evaluate (their newest checkpoints), shown side by side", variadic: true }],
    flags: [
      // No default model: eval scores only what it is given (--model, run folders, or both).
      ...withoutDefaults(MODEL_FLAGS, "none; the base model to evaluate, beside or instead of runs"),
      { name: "compare", type: "boolean", default: false, help: "print one table of all runs given (and --model, as the base)" },
      // Unset: each run's own corpus, so a run is scored on the held-out split of what it trained on.
      ...withoutDefaults(CORPUS_FLAGS, `the run's; for --model ${describeCorpus(BASE_CORPUS)}`),
      { name: "template", type: "enum", values: TEMPLATE_NAMES, help: "predictor prompt template (default: the run's, or compact)" },
      { name: "chat-template", type: "enum", values: CHAT_TEMPLATE_MODES, help: "wrap the predictor prompt in the model's chat template: on, auto (when it has one), off (default: the run's, or off)" },
      { name: "limit", type: "int", min: 1, default: 200, help: "held-out passages to use" },
      { name: "seed", type: "int", min: 0, default: 0, help: "seed of the mask set" },
      { name: "max-new-tokens", type: "int", min: 1, default: 16, help: "tokens generated per answer" },
      { name: "batch", type: "int", min: 1, default: 32, help: "sequences per ORT run" },
      { name: "fresh", type: "boolean", default: false, help: "recompute even when a run has a cached eval for its checkpoint" },
    ],
    examples: [
      "bun run eval --model fixtures/default-model",
      "bun run eval runs/pz runs/random-span --model fixtures/default-model --compare",
    ],
  },
  async (args) => {
    const runs = args.positionals;
    const base = args.given.has("model") ? readModel(args).dir : undefined;
    if (base === undefined && runs.length === 0) throw new InputError("nothing to evaluate: give --model DIR and/or run folders");
    const limit = int(args, "limit");
    const seed = int(args, "seed");
    const maxNewTokens = int(args, "max-new-tokens");
    const subjects: Subject[] = [];
    if (base !== undefined) {
      if (!existsSync(join(base, "config.json"))) throw new InputError(`--model ${base} is not a model folder (no config.json)`);
      subjects.push({ label: `base (${base})`, model: loadModel(base, { deterministic: true }), corpus: BASE_CORPUS, template: "compact", chatTemplate: "off", step: null });
    }
    for (const r of runs) subjects.push(await subjectOfRun(r));
    const results: { subject: Subject; result: EvalResult }[] = [];
    for (const s of subjects) {
      const corpus = readCorpus(args, s.corpus);
      const template = optOneOf(args, "template", TEMPLATE_NAMES) ?? s.template;
      const chatTemplate = optOneOf(args, "chat-template", CHAT_TEMPLATE_MODES) ?? s.chatTemplate;
      // Keys gain a field only where it is set, so evals cached before it existed stay valid.
      const key = JSON.stringify({ corpus, template, limit, seed, maxNew: maxNewTokens, ...(chatTemplate !== "off" ? { chatTemplate } : {}), ...(template === "paper" ? { stop: "answer" } : {}) });
      if (s.cache && !bool(args, "fresh") && existsSync(s.cache)) {
        const cached = JSON.parse(readFileSync(s.cache, "utf8")) as { key: string; result: EvalResult };
        if (cached.key === key) {
          results.push({ subject: s, result: cached.result });
          continue;
        }
      }
      const { heldOut } = await loadPassages(corpus.path, { minWords: corpus.minWords, maxWords: corpus.maxWords, heldOutFraction: corpus.heldOut, seed: corpus.seed, textField: corpus.textField, cache: true });
      if (heldOut.length === 0) throw new InputError(`corpus ${corpus.path} has no held-out passages; raise its held-out share`);
      const masks = evalMaskSet(heldOut.slice(0, limit).map((p) => p.text), seed);
      const progress = new Progress({ total: masks.length, label: `eval ${s.label}` });
      const result = await evaluate(s.model, masks, { template, chatTemplate, maxNewTokens, batch: int(args, "batch") }, (d) => progress.update(d));
      progress.done();
      if (s.cache) writeFileSync(s.cache, `${JSON.stringify({ key, result }, null, 2)}\n`);
      results.push({ subject: s, result });
    }
    const w = Math.max(12, ...results.map((r) => r.subject.label.length));
    console.log(`${"model".padEnd(w)}  ${"step".padStart(5)}  ${"masks".padStart(5)}  ${"mask_acc".padStart(8)}  ${"nll".padStart(7)}  ${"ppl".padStart(8)}`);
    for (const { subject: s, result: r } of results) {
      console.log(`${s.label.padEnd(w)}  ${String(s.step ?? "-").padStart(5)}  ${String(r.masks).padStart(5)}  ${r.maskAccuracy.toFixed(4).padStart(8)}  ${r.nll.toFixed(4).padStart(7)}  ${Math.exp(r.nll).toFixed(2).padStart(8)}`);
    }
    if (args.json) console.log(JSON.stringify({ results: results.map((r) => ({ label: r.subject.label, step: r.subject.step, ...r.result })) }));
    for (const s of subjects) await s.model.release();
    return 0;
  },
);
