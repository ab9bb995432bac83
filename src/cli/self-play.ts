// The one runner behind `train` and `simulate`: resolve the configuration, create the run folder,
// start the actors, show progress, append metrics, write checkpoints, and resume from them.

import { existsSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import type { ActorId, StepStats } from "../protocol/messages.ts";
import { learningRate } from "../rl/schedule.ts";
import { actorStateFiles, pruneCheckpoints, writeCheckpoint } from "../runtime/checkpoint.ts";
import type { ActorState } from "../runtime/actor-state.ts";
import type { RunConfig, TransportKind } from "../runtime/config.ts";
import type { LearnerTiming } from "../runtime/host.ts";
import { samplingMetrics } from "../runtime/sampling-stats.ts";
import { preflightRun } from "../runtime/preflight.ts";
import { runSelfPlay } from "../runtime/run.ts";
import { checkRunName, checkRunsRoot, createRunDir, defaultRunName, logOwnerPath, openRunDir, readSavedRun, type RunDir, type SavedRun } from "../runtime/run-dir.ts";
import { applyResume, planResume, RESUME_MAY_CHANGE, resumedSettings, type ResumeFlags } from "../runtime/resume.ts";
import { statefulActors, taskOf } from "../tasks/registry.ts";
import { InputError, optInt, optStr, type ParsedArgs } from "./args.ts";
import { resolveRunConfig } from "./run-config.ts";
import { checkSinks, readSinks } from "./flags/sinks.ts";
import { openSinks } from "../runtime/sinks/index.ts";
import { Progress } from "./progress.ts";
import { shippedPath } from "../runtime/paths.ts";
import { readNatsSettings, readReplicas, readSpawn } from "./flags/nats.ts";
import { startNatsRun } from "../runtime/nats/run.ts";

export { BACKEND_DEFAULTS } from "./run-config.ts";
export { MODEL_FLAGS, RUN_FLAGS, SIM_FLAGS } from "./run-flags.ts";

/** The run's configuration from the flags; the model folder may name a shipped fixture from any directory. */
export function resolveConfig(args: ParsedArgs, backend: RunConfig["backend"], base?: { config: RunConfig; checkpointEvery: number }): { config: RunConfig; checkpointEvery: number } {
  const r = resolveRunConfig(args, backend, base);
  if (Object.hasOwn(args.flags, "model") && !base) r.config.model.dir = shippedPath(r.config.model.dir);
  return r;
}

export const SIMULATION_BANNER =
  "SIMULATION: parametric policies over real paragraphs stand in for the language model; " +
  "actors, messages, rewards and GRPO are the real ones.";

export function header(): string {
  return ["step".padStart(5), "gen_reward".padStart(10), "pred_acc".padStart(8), "zero_var".padStart(8), "gen_zero_var".padStart(12), "span_words".padStart(10), "invalid".padStart(7), "trained".padStart(7), "grad_norm".padStart(9)].join("  ");
}

function row(step: number, s: StepStats): string {
  return [
    String(step).padStart(5),
    s.genReward.toFixed(3).padStart(10),
    s.predAcc.toFixed(3).padStart(8),
    s.zeroVarFrac.toFixed(3).padStart(8),
    s.genZeroVarFrac.toFixed(3).padStart(12),
    s.spanWords.toFixed(2).padStart(10),
    s.invalidFrac.toFixed(3).padStart(7),
    String(s.trained).padStart(7),
    s.gradNorm.toExponential(2).padStart(9),
  ].join("  ");
}

/** Replicas per role, and over NATS the hub's transport with this machine's actor processes. */
async function startTransport(args: ParsedArgs, config: RunConfig, run: string, transport: TransportKind, say: (l: string) => void) {
  const replicas = readReplicas(args);
  for (const id of statefulActors(config)) {
    if (replicas[id] > 1) throw new InputError(`--replicas ${id}=${replicas[id]}: task ${config.task}'s ${id} keeps state across steps, so it runs as one replica`);
  }
  const nats = transport === "nats" ? await startNatsRun({ settings: readNatsSettings(args), run, replicas, spawn: readSpawn(args), say }) : null;
  return { replicas, nats };
}

/** The resumed run's settings: flags a resume may change applied, any other flag checked against the run. */
function resumeFlags(args: ParsedArgs, saved: SavedRun): ResumeFlags {
  const common = new Set(["resume", "json", "debug", "config", "help", ...RESUME_MAY_CHANGE]);
  const absolute = (c: RunConfig): RunConfig => ({
    ...c,
    corpus: c.corpus.path === "factbook" ? c.corpus : { ...c.corpus, path: resolve(c.corpus.path) },
    model: c.backend === "model" ? { ...c.model, dir: resolve(shippedPath(c.model.dir)) } : c.model,
  });
  const base = { config: saved.config, checkpointEvery: saved.checkpointEvery };
  const record = optStr(args, "record");
  return {
    given: [...args.given].filter((f) => !common.has(f)).map((flag) => ({ flag, value: args.flags[flag] })),
    withFlag: (flag) => absolute(resolveRunConfig({ ...args, given: new Set([flag]) }, saved.config.backend, base).config),
    ...(record !== undefined ? { record: resolve(record) } : {}),
    ...(args.given.has("steps") ? { steps: optInt(args, "steps") } : {}),
    ...(args.given.has("checkpoint-every") ? { checkpointEvery: optInt(args, "checkpoint-every") } : {}),
    ...(args.given.has("keep-checkpoints") ? { keepCheckpoints: optInt(args, "keep-checkpoints") } : {}),
  };
}

/** A run folder's configuration (its config.json passed as --config) with the flags given on top. */
function rerunConfig(args: ParsedArgs, o: SelfPlayCommandOptions): { config: RunConfig; checkpointEvery: number } {
  const saved = readSavedRun(openRunDir(dirname(resolve(args.runFolderConfig!))));
  const backend = o.command === "simulate" || args.given.has("backend") ? o.backend : saved.config.backend;
  return resolveConfig(args, backend, { config: saved.config, checkpointEvery: saved.checkpointEvery });
}

/** Fault injection for the crash tests: SIGKILL this process at the named point (SPZ_KILL_AT=metrics:3). */
function killPoint(point: string): void {
  if (process.env.SPZ_KILL_AT === point) process.kill(process.pid, "SIGKILL");
}

/** The difficulty probe over the finished run's checkpoints (src/eval/probe.ts), when its generator is the trained policy. */
async function runProbe(dir: string, config: RunConfig, passages: number, say: (line: string) => void): Promise<void> {
  const { PROBE_TASKS, probeRun } = await import("../eval/probe.ts");
  if (config.backend !== "model" || !PROBE_TASKS.includes(config.task) || !taskOf(config).trainRoles(config).includes("generator")) {
    say(`probe: skipped (only for model runs whose generator trains: ${PROBE_TASKS.join(", ")} with a trained generator)`);
    return;
  }
  let rows: Awaited<ReturnType<typeof probeRun>>;
  try {
    rows = await probeRun(dir, { passages, samples: 2 }, (p) => {
      if (p.kind === "warning") console.error(`warning: ${p.message}`);
    });
  } catch (e) {
    // The run itself finished: a probe that cannot run is a warning, and `bun run probe` can retry it.
    console.error(`warning: probe: ${(e as Error).message.split("\n")[0]}; retry with bun run probe ${dir}`);
    return;
  }
  const fmt = (x: number | null | undefined) => (typeof x === "number" ? x.toFixed(3) : "-");
  const first = rows[0];
  const last = rows.at(-1);
  say(`probe (${dir}/probe.jsonl): initial model solves the generator's spans ${fmt(first?.probeBaseSolveRate)} at step ${first?.step ?? "-"} -> ${fmt(last?.probeBaseSolveRate)} at step ${last?.step ?? "-"}; valid masks ${fmt(first?.probeValidFrac)} -> ${fmt(last?.probeValidFrac)}`);
}

export interface SelfPlayCommandOptions {
  command: string;
  backend: RunConfig["backend"];
  banner?: string;
}

export async function runSelfPlayCommand(args: ParsedArgs, o: SelfPlayCommandOptions): Promise<number> {
  const say = (line: string) => console.log(line);
  const sinkSettings = readSinks(args);
  let config: RunConfig;
  let checkpointEvery: number;
  let runDir: RunDir;
  let recordPath = args.flags.record as string | undefined;
  let appendToLog = false;
  let actorStates: Partial<Record<ActorId, ActorState>> | undefined;
  let keepCheckpoints = 0;
  let fromStep = 0;
  if (args.flags.resume) {
    // Everything is checked before anything in the folder changes: a refused resume changes nothing.
    const plan = planResume(args.flags.resume as string);
    const saved = resumedSettings(plan.saved, plan.fromStep, resumeFlags(args, plan.saved));
    checkSinks(sinkSettings, saved.config);
    await preflightRun(saved.config);
    for (const s of plan.skipped) console.error(`warning: skipping ${s.reason.startsWith("checkpoint ") ? "" : `checkpoint ${s.path}: `}${s.reason}`);
    applyResume(plan, saved);
    ({ runDir, fromStep, actorStates } = plan);
    ({ config, checkpointEvery } = saved);
    keepCheckpoints = saved.keepCheckpoints ?? 0;
    recordPath = saved.record;
    appendToLog = Boolean(plan.log && !plan.log.recreate);
    say(plan.checkpointPath ? `resuming ${runDir.path} at step ${fromStep} of ${config.steps}` : `resuming ${runDir.path}: no checkpoint was written yet, so it restarts at step 0 of ${config.steps}`);
  } else {
    ({ config, checkpointEvery } = args.runFolderConfig ? rerunConfig(args, o) : resolveConfig(args, o.backend));
    keepCheckpoints = args.given.has("keep-checkpoints") ? (optInt(args, "keep-checkpoints") ?? 0) : 0;
    await preflightRun(config, { runsDir: args.flags["runs-dir"] as string });
    checkSinks(sinkSettings, config);
    checkRunsRoot(args.flags["runs-dir"] as string);
    const name = (args.flags.run as string | undefined) ?? defaultRunName(o.command);
    checkRunName(name);
    if (recordPath) {
      recordPath = resolve(recordPath);
      if (existsSync(recordPath)) throw new InputError(`--record ${args.flags.record as string} already exists; a recording is never overwritten: choose another path`);
    }
    runDir = createRunDir(args.flags["runs-dir"] as string, name, {
      command: o.command,
      backend: config.backend,
      simulation: config.backend === "sim",
      checkpointEvery,
      ...(keepCheckpoints > 0 ? { keepCheckpoints } : {}),
      ...(recordPath ? { record: recordPath } : {}),
      config,
    });
  }
  const transport = args.flags.transport as TransportKind;
  const every = (args.flags["log-every"] as number) || Math.max(1, Math.ceil(config.steps / 20));
  const stopAfter = args.flags["stop-after"] as number | undefined;
  if (o.banner) say(o.banner);
  say(`run: ${runDir.path}`);
  const what = config.backend === "model" ? `model=${config.model.dir}${config.model.lora ? ` lora r=${config.model.lora.rank}` : ""}` : "simulated policies";
  say(`${what} corpus=${config.corpus.path} design=${config.design} steps=${config.steps} passages=${config.passages} n=${config.genSamples} G=${config.predSamples} seed=${config.seed} transport=${transport}`);
  say(header());
  const t0 = performance.now();
  const progress = new Progress({ total: config.steps, label: "step" });
  const episodesPer = taskOf(config).episodesPerStep(config);
  const timings = new Map<number, LearnerTiming>();
  const stateful = statefulActors(config);
  // Checkpoint N is committed only once every stateful actor handed in its state for N and step N-1's
  // metrics row and log records are written; a crash between the two then loses nothing (src/runtime/resume.ts).
  const heldCheckpoints = new Map<number, Partial<Record<ActorId, ActorState>>>();
  let rowsThrough = fromStep;
  /** The newest checkpoint this invocation committed (folders past it are leftovers a resume passed over). */
  let lastCommitted = -1;
  const commitCheckpoints = () => {
    for (const [step, held] of heldCheckpoints) {
      if (step > rowsThrough || !stateful.every((id) => held[id])) continue;
      heldCheckpoints.delete(step);
      killPoint(`checkpoint:${step}:before`);
      // A byte state is <actor>.bin; a learner's tensors go to <actor>/*.safetensors, streamed and hashed.
      const files = Object.assign({}, ...stateful.map((id) => actorStateFiles(id, held[id]!)));
      writeCheckpoint(join(runDir.path, "checkpoints"), step, files, { step });
      lastCommitted = Math.max(lastCommitted, step);
      killPoint(`checkpoint:${step}:after`);
      // Checkpoints --eval-every has yet to evaluate in the background are spared: its process reads them later.
      pruneCheckpoints(join(runDir.path, "checkpoints"), keepCheckpoints, step, (s) => sinks.needsCheckpoint(s));
      sinks.checkpointWritten(step);
    }
  };
  let stepsDone = 0;
  let tokens = 0;
  const schedule = { kind: config.model.schedule, lr: config.model.lr, warmup: config.model.warmup, total: config.steps, minRatio: config.model.minLrRatio };
  const freshRun = !args.flags.resume;
  const observer = await taskOf(config).observer?.(config);
  // TensorBoard, completions.jsonl, eval.jsonl: read off what this runner sees (src/runtime/sinks/).
  const sinks = openSinks(sinkSettings, { runPath: runDir.path, config, fromStep, resumed: !freshRun, lastStep: Math.min(config.steps, stopAfter ?? Infinity), checkpointEvery, say: (l) => progress.print(l), warn: (l) => console.error(`warning: ${l}`) });
  const { replicas, nats } = await startTransport(args, config, basename(runDir.path), transport, say).catch((e: unknown) => {
    // A new run whose transport could not start leaves no folder behind.
    sinks.abort();
    if (!args.flags.resume) rmSync(runDir.path, { recursive: true, force: true });
    throw e;
  });
  const run = runSelfPlay({
    config,
    transport,
    actors: ACTORS,
    replicas,
    ...(nats ? { remote: nats.remote } : {}),
    recordPath,
    appendToLog,
    command: o.command,
    actorStates,
    stopAtStep: stopAfter,
    onTiming: (t) => timings.set(t.step, t),
    observe: (env) => {
      observer?.see(env.msg);
      sinks.observe(env);
    },
    onCheckpoint: (actor, step, state) => {
      const last = step >= Math.min(config.steps, stopAfter ?? Infinity);
      // A model run always checkpoints its last step: its final/ model folder is exported from it.
      const final = config.backend === "model" && step >= config.steps;
      if (!final && (checkpointEvery <= 0 || !(step % checkpointEvery === 0 || last)) && !sinks.wantsCheckpoint(step)) return;
      const held = heldCheckpoints.get(step) ?? {};
      held[actor] = state;
      heldCheckpoints.set(step, held);
      commitCheckpoints();
    },
    onVersion: (v) => {
      if (!v.stats) return;
      const step = v.step - 1;
      stepsDone++;
      const secs = (performance.now() - t0) / 1000;
      const t = timings.get(step);
      timings.delete(step);
      tokens += t?.sampledTokens ?? 0;
      // Everything that depends on the wall clock sits under `wall`, so two runs compare equal without it.
      const wall: Record<string, number> = {
        elapsedS: Math.round(secs * 1000) / 1000,
        episodesPerS: Math.round((stepsDone * episodesPer) / secs),
      };
      const metrics: Record<string, unknown> = { step, version: v.version, ...v.stats, ...observer?.take(step), digest: v.digest };
      if (config.backend === "model") {
        metrics.lr = learningRate(step, schedule);
        if (t) {
          metrics.responseLen = t.completions ? t.sampledTokens / t.completions : 0;
          wall.timeSampleS = t.sampleMs / 1000;
          wall.timeTrainS = t.trainMs / 1000;
          wall.tokensPerS = Math.round(tokens / secs);
        }
      }
      // Deterministic (computed from logits), so at the top level: genEntropy, predEntropy, *TruncFrac, *ResponseLen.
      if (t) Object.assign(metrics, samplingMetrics(t.sampling, { lengths: config.backend === "model" }));
      metrics.wall = wall;
      killPoint(`metrics:${step}`);
      runDir.appendMetrics(metrics);
      sinks.row(metrics);
      rowsThrough = v.step;
      commitCheckpoints();
      progress.update(v.step, {
        gen_reward: v.stats.genReward,
        pred_acc: v.stats.predAcc,
        zero_var: v.stats.zeroVarFrac,
        ...(config.backend === "model" ? { "tokens/s": Math.round(tokens / secs) } : { "episodes/s": Math.round((stepsDone * episodesPer) / secs) }),
      });
      if (step % every === 0 || v.step === config.steps) progress.print(row(step, v.stats));
    },
  });
  const outcome = await (nats ? Promise.race([run, nats.failed]) : run)
    .finally(async () => {
      // On every way out (finished, failed, a supervisor gave up): processes told, stream gone.
      await nats?.remote.close();
      await nats?.stop();
    })
    .catch((error: unknown) => {
    // A new run that failed before its first step finished leaves nothing behind (its log held only the header).
    if (freshRun && stepsDone === 0) {
      rmSync(runDir.path, { recursive: true, force: true });
      if (recordPath) for (const f of [recordPath, logOwnerPath(recordPath)]) rmSync(f, { force: true });
    }
    sinks.abort();
    throw error;
  });
  progress.done();
  await sinks.finish(say);
  // The checkpoints --keep-checkpoints spared for background evals go once those are done.
  if (keepCheckpoints > 0 && lastCommitted >= 0) pruneCheckpoints(join(runDir.path, "checkpoints"), keepCheckpoints, lastCommitted);
  const seconds = (performance.now() - t0) / 1000;
  const finished = fromStep + outcome.steps >= config.steps;
  if (finished && config.backend === "model") (await import("../model/export.ts")).writeFinalModelOrWarn(runDir.path, say);
  const probePassages = (args.flags.probe as number | undefined) ?? 0;
  if (probePassages > 0 && finished) await runProbe(runDir.path, config, probePassages, say);
  const episodes = stepsDone * episodesPer;
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const summary = {
    simulation: config.backend === "sim",
    backend: config.backend,
    design: config.design,
    steps: outcome.steps,
    fromStep,
    episodes,
    seconds: round(seconds, 3),
    episodesPerSecond: round(episodes / seconds, 1),
    ...(config.backend === "model" ? { sampledTokens: tokens, tokensPerSecond: round(tokens / seconds, 1) } : {}),
    messages: outcome.messages,
    messagesPerSecond: round(outcome.messages / seconds, 1),
    wireShareMainThread: round(outcome.hubWireMs / outcome.wallMs, 4),
    wireShareByActor: Object.fromEntries(Object.entries(outcome.actorWireMs).map(([k, v]) => [k, round((v ?? 0) / outcome.wallMs, 4)])),
    restarts: outcome.restarts,
    finalDigest: outcome.finalDigest,
    first: outcome.stats[0] ?? null,
    last: outcome.stats.at(-1) ?? null,
    run: runDir.path,
    ...(outcome.logBytes !== undefined ? { record: recordPath, logBytes: outcome.logBytes, logRecords: outcome.logRecords } : {}),
  };
  say(
    `done: ${episodes} episodes in ${summary.seconds}s = ${summary.episodesPerSecond} episodes/s; ` +
      `${summary.messages} messages (${summary.messagesPerSecond}/s); wire share of wall time: main ${pct(summary.wireShareMainThread)}, ` +
      Object.entries(summary.wireShareByActor).map(([k, v]) => `${k} ${pct(v)}`).join(", "),
  );
  if (stopAfter !== undefined && fromStep + outcome.steps < config.steps) say(`stopped after step ${fromStep + outcome.steps - 1}; continue with --resume ${runDir.path}`);
  if (outcome.logBytes !== undefined) say(`recorded ${outcome.logRecords} messages (${outcome.logBytes} bytes) to ${recordPath}`);
  if (args.json) say(JSON.stringify(summary));
  return 0;
}
