// The flags of the self-play commands (train, simulate): the shared groups (src/cli/flags/), the
// run's own shape, the simulator's, and every registered task's.

import { CHAT_TEMPLATE_MODES, DEFAULT_RUN_CONFIG } from "../runtime/config.ts";
import { TEMPLATE_NAMES } from "../tasks/pretrainzero/prompts.ts";
import { REWARD_DESIGNS } from "../tasks/pretrainzero/rewards.ts";
import { SPAN_FILTERS } from "../tasks/pretrainzero/span-rules.ts";
import { TASKS, TASK_NAMES } from "../tasks/registry.ts";
import type { FlagSpec } from "./args.ts";
import { SINK_FLAGS } from "./flags/sinks.ts";
import { NATS_FLAGS } from "./flags/nats.ts";
import { CORPUS_FLAGS, DEVICE_FLAGS, LORA_FLAGS, MODEL_FLAGS as MODEL_FOLDER_FLAGS, OPTIMISER_FLAGS, pickFlags, RUN_FOLDER_FLAGS, SAMPLING_FLAGS, withoutDefaults } from "./flags/index.ts";

const D = DEFAULT_RUN_CONFIG;
const dflt = (what: string) => `default: ${what}`;

/** Every task's flags, once each (tasks may share one, e.g. the mask family). */
function taskFlags(): FlagSpec[] {
  const seen = new Map<string, FlagSpec>();
  for (const t of TASKS) for (const f of t.flags) if (!seen.has(f.name)) seen.set(f.name, { ...f });
  return [...seen.values()];
}

/** Flags that shape any self-play run. Undefined values fall back to the backend's and the task's defaults. */
export const RUN_FLAGS: FlagSpec[] = [
  { name: "steps", type: "int", min: 1, help: `GRPO steps (${dflt("sim 100, model 15")})` },
  { name: "seed", type: "int", min: 0, default: D.seed, help: "run seed; every random draw is keyed by it" },
  { name: "task", type: "enum", values: TASK_NAMES, default: D.task, help: TASKS.map((t) => `${t.name}: ${t.summary}`).join("; ") },
  { name: "passages", type: "int", min: 1, help: `paragraphs per step (paper: 32; ${dflt("sim 32, model 8, or the task's")})` },
  { name: "gen-samples", type: "int", min: 1, help: `generator rollouts per paragraph (paper: 8; ${dflt("sim 8, model 4")})` },
  { name: "pred-samples", type: "int", min: 1, help: `predictor rollouts per mask, G (paper: 8; ${dflt("sim 8, model 8")})` },
  { name: "design", type: "enum", values: REWARD_DESIGNS, default: D.design, help: "minmax: the paper's reward; plain: 1-acc; random: random masking, generator untrained" },
  { name: "mask-mode", type: "enum", values: ["all", "one", "words"], help: `mask every occurrence (paper), one occurrence, or whole words only (paper's Words variant; ${dflt("sim all, model words")})` },
  { name: "span-decoding", type: "enum", values: ["free", "copy"], help: `the generator's \\mask{} is written freely (paper) or can only copy paragraph text on word boundaries (constrained decoding, for models too small to copy; the log-probs stay the policy's) (${dflt("sim free, model copy")})` },
  { name: "span-filter", type: "enum", values: SPAN_FILTERS, help: `rules for the policy's spans: none (paper: prompt instructions only), content (not only function words), entity (also a capital or a digit) (${dflt("sim none, model none")})` },
  { name: "template", type: "enum", values: TEMPLATE_NAMES, help: `prompt templates: the paper's (with reasoning) or compact (${dflt("sim paper, model compact")})` },
  { name: "max-occurrences", type: "int", min: 1, default: D.maxOccurrences, help: "reject spans occurring this often in the paragraph" },
  ...withoutDefaults(pickFlags(CORPUS_FLAGS, "corpus", "min-words", "max-words", "text-field"), "sim 40 and 160 words, model 20 and 60", "min-words", "max-words"),
  { name: "chunk", type: "int", min: 1, help: "paragraphs per generator sample request" },
  { name: "window", type: "int", min: 1, help: "sample requests a sender may have in flight (bounds the learner's queue)" },
  { name: "transport", type: "enum", values: ["worker", "inproc", "nats"], default: "worker", help: "one Bun worker per actor, all actors in this thread, or actor processes on any machine over NATS (the learner stays a worker here)" },
  ...NATS_FLAGS,
  { name: "record", type: "path", help: "write every inter-actor message to this episode log (must not exist), e.g. runs/a.spzlog" },
  ...RUN_FOLDER_FLAGS,
  { name: "resume", type: "path", help: "continue the run in this folder from its newest good checkpoint" },
  { name: "stop-after", type: "int", min: 1, help: "stop once this many steps are done (resume later with --resume)" },
  { name: "checkpoint-every", type: "int", min: 0, help: `write a checkpoint every N steps, and at the end (0: never; ${dflt("sim 0, model 5")})` },
  { name: "keep-checkpoints", type: "int", min: 0, help: "keep only the newest N checkpoint folders, deleting older ones as new ones are written (those --eval-every still reads are kept too; default 0: keep all)" },
  { name: "eps-low", type: "number", min: 0, default: D.grpo.epsLow, help: "GRPO clip range below 1" },
  { name: "eps-high", type: "number", min: 0, default: D.grpo.epsHigh, help: "GRPO clip range above 1 (clip-higher)" },
  { name: "log-every", type: "int", min: 0, default: 0, help: "print a metrics row every N steps (0: about 20 rows)" },
  { name: "probe", type: "int", min: 0, default: 0, help: "after a model run whose generator trains, run the difficulty probe (bun run probe) on N held-out passages at every checkpoint: how often the frozen initial model solves the generator's spans; 0: off" },
  ...SINK_FLAGS,
  ...taskFlags(),
];

export const SIM_FLAGS: FlagSpec[] = [
  { name: "gen-lr", type: "number", min: 0, default: D.sim.genLr, help: "simulated generator learning rate" },
  { name: "pred-lr", type: "number", min: 0, default: D.sim.predLr, help: "simulated predictor learning rate" },
  { name: "max-span-words", type: "int", min: 1, max: 16, default: D.sim.maxSpanWords, help: "longest candidate span of the simulated generator" },
];

const M = D.model;
export const MODEL_FLAGS: FlagSpec[] = [
  { name: "backend", type: "enum", values: ["model", "sim"], default: "model", help: "a language model on the engine, or the simulator" },
  ...MODEL_FOLDER_FLAGS,
  ...DEVICE_FLAGS,
  ...LORA_FLAGS,
  ...SAMPLING_FLAGS,
  { name: "gen-tokens", type: "int", min: 1, help: `max new tokens of a generator rollout (paper: 4096; ${dflt(`${M.maxNewTokens.generator}, or the task's`)})` },
  { name: "pred-tokens", type: "int", min: 1, help: `max new tokens of a predictor rollout (paper: 4096; ${dflt(`${M.maxNewTokens.predictor}, or the task's`)})` },
  { name: "chat-template", type: "enum", values: CHAT_TEMPLATE_MODES, help: `wrap generator and predictor prompts as a user message in the model's chat template (instruct models): on (the tokenizer must have one), auto (when it has one), off (plain prompts, base models) (${dflt(M.chatTemplate)})` },
  ...OPTIMISER_FLAGS,
  { name: "kl-coef", type: "number", min: 0, default: M.klCoef, help: "weight of a k3 KL penalty against the initial model (paper: none)" },
];
