// `bun run simulate`: the real actors, messages, rewards and GRPO code against simulated policies.

import { resolve } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import type { StepStats } from "../protocol/messages.ts";
import { DEFAULT_RUN_CONFIG, episodesPerStep, type RunConfig, type TransportKind } from "../runtime/config.ts";
import { runSelfPlay } from "../runtime/run.ts";
import { createRunDir, defaultRunName } from "../runtime/run-dir.ts";
import { REWARD_DESIGNS, type RewardDesign } from "../tasks/pretrainzero/rewards.ts";
import { TEMPLATE_NAMES } from "../tasks/pretrainzero/prompts.ts";
import { defineCommand, type CommandSpec, type FlagSpec, type ParsedArgs } from "./args.ts";
import { Progress } from "./progress.ts";

const D = DEFAULT_RUN_CONFIG;

/** Flags that shape a run; shared by simulate and train. */
export const RUN_FLAGS: FlagSpec[] = [
  { name: "steps", type: "int", min: 1, default: D.steps, help: "GRPO steps to run" },
  { name: "seed", type: "int", min: 0, default: D.seed, help: "run seed; every random draw is keyed by it" },
  { name: "passages", type: "int", min: 1, default: D.passages, help: "paragraphs per step (paper: 32)" },
  { name: "gen-samples", type: "int", min: 1, default: D.genSamples, help: "generator rollouts per paragraph (paper: 8)" },
  { name: "pred-samples", type: "int", min: 1, default: D.predSamples, help: "predictor rollouts per mask, G (paper: 8)" },
  { name: "design", type: "enum", values: REWARD_DESIGNS, default: D.design, help: "minmax: the paper's reward; plain: 1-acc; random: random masking, generator untrained" },
  { name: "mask-mode", type: "enum", values: ["all", "one", "words"], default: D.maskMode, help: "mask every occurrence (paper), one occurrence, or whole words only" },
  { name: "template", type: "enum", values: TEMPLATE_NAMES, default: D.template, help: "prompt templates: the paper's (with reasoning) or compact (for tiny models)" },
  { name: "max-occurrences", type: "int", min: 1, default: D.maxOccurrences, help: "reject spans occurring this often in the paragraph" },
  { name: "chunk", type: "int", min: 1, default: D.chunk, help: "paragraphs per generator sample request" },
  { name: "window", type: "int", min: 1, default: D.window, help: "sample requests a sender may have in flight (bounds the learner's queue)" },
  { name: "transport", type: "enum", values: ["worker", "inproc"], default: "worker", help: "one Bun worker per actor, or all actors in this thread" },
  { name: "record", type: "path", help: "write every inter-actor message to this episode log (must not exist), e.g. runs/a/episodes.spzlog" },
  { name: "run", type: "string", help: "run name: writes runs/<name>/ (config.json, metrics.jsonl); default <command>-<date>-<time>" },
  { name: "runs-dir", type: "path", default: "runs", help: "folder that holds run folders" },
  { name: "gen-lr", type: "number", min: 0, default: D.sim.genLr, help: "simulated generator learning rate" },
  { name: "pred-lr", type: "number", min: 0, default: D.sim.predLr, help: "simulated predictor learning rate" },
  { name: "max-span-words", type: "int", min: 1, max: 16, default: D.sim.maxSpanWords, help: "longest candidate span of the simulated generator" },
  { name: "eps-low", type: "number", min: 0, default: D.grpo.epsLow, help: "GRPO clip range below 1" },
  { name: "eps-high", type: "number", min: 0, default: D.grpo.epsHigh, help: "GRPO clip range above 1 (clip-higher)" },
  { name: "log-every", type: "int", min: 0, default: 0, help: "print a metrics row every N steps (0: about 20 rows)" },
];

export function runConfigFrom(args: ParsedArgs): RunConfig {
  const f = args.flags;
  return {
    ...D,
    seed: f.seed as number,
    steps: f.steps as number,
    passages: f.passages as number,
    genSamples: f["gen-samples"] as number,
    predSamples: f["pred-samples"] as number,
    design: f.design as RewardDesign,
    maskMode: f["mask-mode"] as RunConfig["maskMode"],
    template: f.template as RunConfig["template"],
    maxOccurrences: f["max-occurrences"] as number,
    chunk: f.chunk as number,
    window: f.window as number,
    sim: { genLr: f["gen-lr"] as number, predLr: f["pred-lr"] as number, maxSpanWords: f["max-span-words"] as number },
    grpo: { ...D.grpo, epsLow: f["eps-low"] as number, epsHigh: f["eps-high"] as number },
  };
}

export const SIMULATION_BANNER =
  "SIMULATION: parametric policies over real factbook paragraphs stand in for the language model; " +
  "actors, messages, rewards and GRPO are the real ones.";

const COLUMNS = ["step", "gen_reward", "pred_acc", "zero_var", "gen_zero_var", "span_words", "invalid", "trained", "grad_norm"] as const;

function row(step: number, s: StepStats): string {
  const cells = [
    String(step).padStart(5),
    s.genReward.toFixed(3).padStart(10),
    s.predAcc.toFixed(3).padStart(8),
    s.zeroVarFrac.toFixed(3).padStart(8),
    s.genZeroVarFrac.toFixed(3).padStart(12),
    s.spanWords.toFixed(2).padStart(10),
    s.invalidFrac.toFixed(3).padStart(7),
    String(s.trained).padStart(7),
    s.gradNorm.toExponential(2).padStart(9),
  ];
  return cells.join("  ");
}

export function header(): string {
  return ["step".padStart(5), "gen_reward".padStart(10), "pred_acc".padStart(8), "zero_var".padStart(8), "gen_zero_var".padStart(12), "span_words".padStart(10), "invalid".padStart(7), "trained".padStart(7), "grad_norm".padStart(9)].join("  ");
}

export const SIMULATE_SPEC: CommandSpec = {
  name: "simulate",
  summary: "Run the PretrainZero self-play loop against simulated policies (cheap; for studying the dynamics).",
  flags: RUN_FLAGS,
  examples: [
    "bun run simulate --steps 200",
    "bun run simulate --design plain --steps 200     # watch the generator learn to emit noise",
    "bun run simulate --steps 20 --record runs/sim.spzlog && bun run replay runs/sim.spzlog --verify",
  ],
};

export async function simulate(args: ParsedArgs, banner: string = SIMULATION_BANNER, command = "simulate"): Promise<number> {
  const config = runConfigFrom(args);
  const recordPath = args.flags.record as string | undefined;
  const runDir = createRunDir(
    args.flags["runs-dir"] as string,
    (args.flags.run as string | undefined) ?? defaultRunName(command),
    config,
    { command, backend: config.backend, simulation: true, ...(recordPath ? { record: resolve(recordPath) } : {}) },
  );
  const transport = args.flags.transport as TransportKind;
  const every = (args.flags["log-every"] as number) || Math.max(1, Math.ceil(config.steps / 20));
  const say = (line: string) => console.log(line);
  say(banner);
  say(`run: ${runDir.path}`);
  say(`design=${config.design} steps=${config.steps} passages=${config.passages} n=${config.genSamples} G=${config.predSamples} seed=${config.seed} transport=${transport}`);
  say(header());
  const t0 = performance.now();
  const progress = new Progress({ total: config.steps, label: "step" });
  const episodesPer = episodesPerStep(config);
  const outcome = await runSelfPlay({
    config,
    transport,
    actors: ACTORS,
    recordPath,
    command,
    onVersion: (v) => {
      if (!v.stats) return;
      const step = v.step - 1;
      const secs = (performance.now() - t0) / 1000;
      runDir.appendMetrics({ step, version: v.version, ...v.stats, digest: v.digest, elapsedS: Math.round(secs * 1000) / 1000, episodesPerS: Math.round((v.step * episodesPer) / secs) });
      progress.update(v.step, {
        gen_reward: v.stats.genReward,
        pred_acc: v.stats.predAcc,
        zero_var: v.stats.zeroVarFrac,
        "episodes/s": Math.round((v.step * episodesPer) / secs),
      });
      if (step % every === 0 || v.step === config.steps) progress.print(row(step, v.stats));
    },
  });
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  const episodes = config.steps * episodesPerStep(config);
  const wireMs = outcome.hubWireMs + Object.values(outcome.actorWireMs).reduce((a, b) => a + (b ?? 0), 0);
  const first = outcome.stats[0];
  const last = outcome.stats.at(-1);
  const summary = {
    simulation: true,
    design: config.design,
    steps: outcome.steps,
    episodes,
    seconds: round(seconds, 3),
    episodesPerSecond: round(episodes / seconds, 1),
    messages: outcome.messages,
    messagesPerSecond: round(outcome.messages / seconds, 1),
    wireShareMainThread: round(outcome.hubWireMs / outcome.wallMs, 4),
    wireShareByActor: Object.fromEntries(Object.entries(outcome.actorWireMs).map(([k, v]) => [k, round((v ?? 0) / outcome.wallMs, 4)])),
    wireMs: round(wireMs, 1),
    restarts: outcome.restarts,
    finalDigest: outcome.finalDigest,
    first: first ?? null,
    last: last ?? null,
    run: runDir.path,
    ...(outcome.logBytes !== undefined ? { record: recordPath, logBytes: outcome.logBytes, logRecords: outcome.logRecords } : {}),
  };
  say(
    `done: ${summary.episodes} episodes in ${summary.seconds}s = ${summary.episodesPerSecond} episodes/s; ` +
      `${summary.messages} messages (${summary.messagesPerSecond}/s); wire share of wall time: main ${pct(summary.wireShareMainThread)}, ` +
      Object.entries(summary.wireShareByActor).map(([k, v]) => `${k} ${pct(v)}`).join(", "),
  );
  if (outcome.logBytes !== undefined) say(`recorded ${outcome.logRecords} messages (${outcome.logBytes} bytes) to ${recordPath}`);
  if (args.json) say(JSON.stringify(summary));
  return 0;
}

function round(x: number, d: number): number {
  const k = 10 ** d;
  return Math.round(x * k) / k;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export const simulateCommand = defineCommand(SIMULATE_SPEC, (args) => simulate(args));
