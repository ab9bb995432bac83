// A self-play run's configuration from its flags: a pure function of the parsed flags, the backend
// and (to rerun or resume a run) the configuration it starts from.
//
// Precedence, lowest first: the built-in defaults, the backend's, the task's, a base run's
// configuration, then flags. With a base, only flags the user set apply (a flag's declared
// default never overrides what the run had).

import { CHAT_TEMPLATE_MODES, DEFAULT_RUN_CONFIG, type RunConfig } from "../runtime/config.ts";
import { TEMPLATE_NAMES, TEMPLATE_STOP_STRINGS } from "../tasks/pretrainzero/prompts.ts";
import { REWARD_DESIGNS } from "../tasks/pretrainzero/rewards.ts";
import { SPAN_FILTERS } from "../tasks/pretrainzero/span-rules.ts";
import { TASKS, taskNamed, TASK_NAMES } from "../tasks/registry.ts";
import type { Task } from "../tasks/task.ts";
import { InputError, type FlagValue, type ParsedArgs } from "./args.ts";
import { readCorpus, readDevice, readLora, readModel, readOptimiser, readSampling } from "./flags/index.ts";
import { groupBool, groupInt, groupNum, groupOneOf, groupStr } from "./flags/group.ts";

export type Backend = RunConfig["backend"];

const D = DEFAULT_RUN_CONFIG;

/** Defaults that depend on the backend: the paper's batch for the simulator, a small one for a CPU model. */
export const BACKEND_DEFAULTS: Record<Backend, Partial<RunConfig> & { checkpointEvery: number }> = {
  sim: { steps: 100, passages: 32, genSamples: 8, predSamples: 8, chunk: 8, window: 4, template: "paper", checkpointEvery: 0 },
  model: {
    // Small enough for a CPU, large enough that a tiny model's predictor solves some masks (signal).
    steps: 15,
    passages: 8,
    genSamples: 4,
    predSamples: 8,
    chunk: 4,
    window: 2,
    template: "compact",
    corpus: { ...D.corpus, minWords: 20, maxWords: 60 },
    // The regime that keeps a tiny model's game learning (README, "A regime that keeps learning"):
    // the paper's Words variant, and a generator that can only copy paragraph text.
    maskMode: "words",
    spanDecoding: "copy",
    checkpointEvery: 5,
  },
};

/** The parsed flags restricted to those the user set (command line or --config file). */
function givenOnly(args: ParsedArgs): ParsedArgs {
  const flags: Record<string, FlagValue | undefined> = {};
  for (const name of args.given) if (Object.hasOwn(args.flags, name)) flags[name] = args.flags[name];
  return { ...args, flags };
}

/** The run a task starts from: defaults, then the backend's, then the task's. */
function startingPoint(backend: Backend, task: Task): { config: RunConfig; checkpointEvery: number } {
  const { checkpointEvery, ...b } = BACKEND_DEFAULTS[backend];
  const config: RunConfig = { ...D, ...b, backend, task: task.name, taskOptions: { ...task.defaults } };
  const t = task.runDefaults ?? {};
  if (t.passages !== undefined) config.passages = t.passages;
  if (t.template !== undefined) config.template = t.template;
  if (t.maxNewTokens) config.model = { ...config.model, maxNewTokens: { ...config.model.maxNewTokens, ...t.maxNewTokens } };
  if (t.stopStrings) config.model = { ...config.model, stopStrings: [...t.stopStrings] };
  if (t.modelDir !== undefined) config.model = { ...config.model, dir: t.modelDir };
  return { config, checkpointEvery };
}

/**
 * A base run under this backend and task. Another task keeps the run's shared settings (seed,
 * corpus, model, sampling, optimiser...) and takes its own options and run defaults; another backend
 * starts from that backend's scale (steps, batch, template) and keeps the seed and the corpus.
 */
function rebased(base: { config: RunConfig; checkpointEvery: number }, backend: Backend, task: Task): { config: RunConfig; checkpointEvery: number } {
  const b = base.config;
  if (b.backend !== backend) {
    const fresh = startingPoint(backend, task);
    return { ...fresh, config: { ...fresh.config, seed: b.seed, corpus: { ...fresh.config.corpus, path: b.corpus.path, textField: b.corpus.textField, seed: b.corpus.seed } } };
  }
  if (b.task === task.name) return base;
  const own = startingPoint(backend, task).config;
  // Settings either task sets by default are the new task's.
  const set = { ...taskNamed(b.task).runDefaults, ...task.runDefaults };
  const config: RunConfig = { ...b, task: task.name, taskOptions: { ...task.defaults } };
  if (set.passages !== undefined) config.passages = own.passages;
  if (set.template !== undefined) config.template = own.template;
  // Token limits and stop strings are the task's own (or the defaults) when the tasks differ.
  config.model = { ...b.model, maxNewTokens: own.model.maxNewTokens, stopStrings: own.model.stopStrings };
  return { config, checkpointEvery: base.checkpointEvery };
}

function taskByFlag(name: string): Task {
  try {
    return taskNamed(name);
  } catch {
    throw new InputError(`--task ${name} is not a registered task; accepted: ${TASK_NAMES.join(", ")}`);
  }
}

/** A flag of another task would be silently ignored: say so instead. */
function refuseForeignTaskFlags(args: ParsedArgs, task: Task): void {
  const own = new Set(task.flags.map((f) => f.name));
  for (const other of TASKS) {
    for (const f of other.flags) {
      if (args.given.has(f.name) && !own.has(f.name)) throw new InputError(`--${f.name} is a flag of task ${other.name}, not of --task ${task.name}; it would be ignored`);
    }
  }
}

/** The task's options from its flags (only those the command declares and the user or a default set). */
function readTaskOptions(args: ParsedArgs, task: Task, base: RunConfig["taskOptions"]): RunConfig["taskOptions"] {
  const out: RunConfig["taskOptions"] = { ...task.defaults, ...base };
  for (const f of task.flags) {
    const v = f.type === "boolean" ? groupBool(args, f.name) : f.type === "int" ? groupInt(args, f.name) : f.type === "number" ? groupNum(args, f.name) : groupStr(args, f.name);
    if (v !== undefined) out[f.option] = v;
  }
  return out;
}

/**
 * The run's configuration and checkpoint interval. `base` is the configuration of a run to rerun
 * or resume (its checkpoint interval with it); without one, the run starts from the defaults.
 */
export function resolveRunConfig(parsed: ParsedArgs, backend: Backend, base?: { config: RunConfig; checkpointEvery: number }): { config: RunConfig; checkpointEvery: number } {
  const args = base ? givenOnly(parsed) : parsed;
  const taskName = groupStr(args, "task");
  const task = taskByFlag(taskName ?? base?.config.task ?? D.task);
  refuseForeignTaskFlags(parsed, task);
  const start = base ? rebased(base, backend, task) : startingPoint(backend, task);
  const sameTask = base !== undefined && base.config.task === task.name;
  const s = start.config;

  const model = s.model;
  const lora = readLora(args, model.lora);
  const config: RunConfig = {
    ...s,
    backend,
    task: task.name,
    taskOptions: readTaskOptions(args, task, sameTask ? s.taskOptions : {}),
    seed: groupInt(args, "seed") ?? s.seed,
    steps: groupInt(args, "steps") ?? s.steps,
    passages: groupInt(args, "passages") ?? s.passages,
    genSamples: groupInt(args, "gen-samples") ?? s.genSamples,
    predSamples: groupInt(args, "pred-samples") ?? s.predSamples,
    design: groupOneOf(args, "design", REWARD_DESIGNS) ?? s.design,
    maskMode: groupOneOf(args, "mask-mode", ["all", "one", "words"] as const) ?? s.maskMode,
    spanFilter: groupOneOf(args, "span-filter", SPAN_FILTERS) ?? s.spanFilter,
    spanDecoding: groupOneOf(args, "span-decoding", ["free", "copy"] as const) ?? s.spanDecoding,
    template: groupOneOf(args, "template", TEMPLATE_NAMES) ?? s.template,
    maxOccurrences: groupInt(args, "max-occurrences") ?? s.maxOccurrences,
    corpus: readCorpus(args, s.corpus),
    chunk: groupInt(args, "chunk") ?? s.chunk,
    window: groupInt(args, "window") ?? s.window,
    grpo: { ...s.grpo, epsLow: groupNum(args, "eps-low") ?? s.grpo.epsLow, epsHigh: groupNum(args, "eps-high") ?? s.grpo.epsHigh },
    sim: {
      genLr: groupNum(args, "gen-lr") ?? s.sim.genLr,
      predLr: groupNum(args, "pred-lr") ?? s.sim.predLr,
      maxSpanWords: groupInt(args, "max-span-words") ?? s.sim.maxSpanWords,
    },
    model: {
      ...model,
      // --model's declared default is the shipped default model; a task's own default wins over it unless --model was given.
      ...(base || args.given.has("model") ? readModel(args, model) : {}),
      ...readDevice(args, model),
      lora,
      ...readSampling(args, model),
      ...readOptimiser(args, model),
      maxNewTokens: { generator: groupInt(args, "gen-tokens") ?? model.maxNewTokens.generator, predictor: groupInt(args, "pred-tokens") ?? model.maxNewTokens.predictor },
      klCoef: groupNum(args, "kl-coef") ?? model.klCoef,
      chatTemplate: groupOneOf(args, "chat-template", CHAT_TEMPLATE_MODES) ?? model.chatTemplate,
    },
  };
  // Stop strings follow a template the flags (or another task) change, unless the task has its own:
  // the paper's reasoning spans lines, so its completions end at EOS or after the braced answer (Task.answerStop).
  const retemplated = config.template !== s.template || (base !== undefined && !sameTask);
  if (retemplated && task.runDefaults?.stopStrings === undefined) config.model.stopStrings = [...TEMPLATE_STOP_STRINGS[config.template]];
  if (backend === "sim" && task.simulator !== true) throw new InputError(`--task ${task.name} needs a language model (--backend model); ${task.simulator}`);
  return { config, checkpointEvery: groupInt(args, "checkpoint-every") ?? start.checkpointEvery };
}
