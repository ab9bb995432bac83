// Resuming a run folder: plan first, change later. planResume reads and checks everything (config,
// checkpoints, metrics, episode log) and changes nothing, so a refused resume leaves the folder as
// it was. applyResume then cuts what a crash left after the checkpoint.
//
// The invariant that makes this safe: checkpoint N is committed only after step N-1's metrics row
// and log records are written (src/cli/self-play.ts), so a good checkpoint N implies rows and
// records for every step before N; anything after N is cut and recomputed bit-identically.

import { existsSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeValue } from "../protocol/codec.ts";
import { EpisodeLogReader, LogError } from "../protocol/log.ts";
import type { ActorId } from "../protocol/messages.ts";
import { actorStateFile, actorStateOf, latestGoodCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { type ActorState, isTensorState } from "./actor-state.ts";
import { diffValues } from "./diff.ts";
import type { RunConfig } from "./config.ts";
import { openRunDir, readLogOwner, readSavedRun, writeLogOwner, writeSavedRun, type RunDir, type SavedRun } from "./run-dir.ts";
import { statefulActors, taskOf } from "../tasks/registry.ts";

const refuse = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });

export interface ResumePlan {
  runDir: RunDir;
  saved: SavedRun;
  /** The first step to run; 0 when no checkpoint was written yet (the run restarts in its folder). */
  fromStep: number;
  actorStates?: Partial<Record<ActorId, ActorState>>;
  checkpointPath?: string;
  /** Newer checkpoints that did not verify or decode, with the reason. */
  skipped: { path: string; reason: string }[];
  /** metrics.jsonl is cut to this many bytes (its rows for steps before fromStep). */
  metricsBytes: number;
  /** The episode log: cut to `bytes` (records before fromStep), or made anew when it holds no record to keep. */
  log?: { path: string; bytes: number; recreate: boolean; adopt: boolean };
}

/** The learner's state, checked the way the learner restores it; a problem, or undefined. */
function learnerProblem(state: ActorState, step: number, file: string): string | undefined {
  const v = decodeValue(isTensorState(state) ? state.meta : state) as Record<string, unknown>;
  // The backend's own bytes are checked by the backend when it restores them.
  if (typeof v !== "object" || v === null || v.step !== step || !(v.backend instanceof Uint8Array)) return `${file} is not a learner state for step ${step}`;
  return undefined;
}

/** A checkpoint is usable when every stateful actor's state is there and restores. */
function checkpointProblem(ck: Checkpoint, config: RunConfig): string | undefined {
  const checks = taskOf(config).statefulActors;
  for (const id of statefulActors(config)) {
    const state = actorStateOf(ck, id);
    if (!state) return `it has no ${id}.bin`;
    const file = actorStateFile(ck, id);
    try {
      const problem = id === "learner" ? learnerProblem(state, ck.manifest.step, file) : void (checks[id] ?? decodeValue)(state as Uint8Array);
      if (problem) return problem;
    } catch (e) {
      return `${file} does not decode (${(e as Error).message.split("\n")[0]})`;
    }
  }
  return undefined;
}

/** The newest checkpoint under `root` that verifies and whose actor states decode; newer ones passed over are listed. */
export function newestUsableCheckpoint(root: string, config: RunConfig): { checkpoint?: Checkpoint; skipped: ResumePlan["skipped"] } {
  const { checkpoint, skipped } = latestGoodCheckpoint(root, (ck) => checkpointProblem(ck, config));
  return checkpoint ? { checkpoint, skipped } : { skipped };
}

/** Rows of metrics.jsonl before `fromStep` must be exactly steps 0..fromStep-1; returns the bytes they take. */
function keptMetrics(path: string, fromStep: number): number {
  if (!existsSync(path)) {
    if (fromStep === 0) return 0;
    throw refuse(`--resume: ${path} is missing, so steps 0-${fromStep - 1} have no metrics; accepted: the run folder as train or simulate left it`);
  }
  const text = readFileSync(path, "utf8");
  let at = 0;
  for (let want = 0, line = 1; want < fromStep; line++) {
    const end = text.indexOf("\n", at);
    const where = `${path} line ${line}`;
    if (end < 0) throw refuse(`--resume: ${path} ends before step ${want}'s row, yet checkpoint ${fromStep} needs steps 0-${fromStep - 1}; the metrics would have a gap`);
    let row: { step?: unknown };
    try {
      row = JSON.parse(text.slice(at, end)) as { step?: unknown };
    } catch {
      throw refuse(`--resume: ${where} is not JSON; resuming would lose step ${want}'s metrics (restore the line, or start a new run)`);
    }
    if (row?.step !== want) {
      throw refuse(`--resume: ${where} holds step ${JSON.stringify(row?.step)} where step ${want} belongs; metrics.jsonl has a gap or a duplicate before the checkpoint`);
    }
    at = end + 1;
    want++;
  }
  return at;
}

/** Where the log is cut: after the last record of step fromStep-1, with every earlier step present. */
function keptLog(path: string, fromStep: number, config: RunConfig): ResumePlan["log"] {
  if (!existsSync(path)) {
    if (fromStep === 0) return { path, bytes: 0, recreate: true, adopt: false };
    throw refuse(`--resume: the run's episode log ${path} is missing, so steps 0-${fromStep - 1} cannot be kept; accepted: the log beside the run as it was recorded`);
  }
  let reader: EpisodeLogReader;
  try {
    reader = EpisodeLogReader.open(path, { allowTornTail: true });
  } catch (e) {
    // Torn while the header was being written: nothing was recorded yet.
    if (fromStep === 0 && e instanceof LogError && /truncated before its header/.test(e.message)) return { path, bytes: 0, recreate: true, adopt: false };
    throw refuse(`--resume: ${(e as Error).message}`);
  }
  const h = reader.header.config as Partial<RunConfig>;
  for (const k of ["seed", "task", "design", "backend", "passages", "genSamples", "predSamples"] as const) {
    if (h[k] !== config[k]) {
      reader.close();
      throw refuse(`--resume: ${path} was recorded by another run (${k} ${JSON.stringify(h[k])}, this run's is ${JSON.stringify(config[k])}); accepted: the log this run recorded`);
    }
  }
  let cut = reader.bytes;
  let last = -1;
  try {
    for (const r of reader.records()) {
      if (r.step >= fromStep) break;
      if (r.step !== last && r.step !== last + 1) throw refuse(`--resume: ${path} jumps from step ${last} to step ${r.step}: the log has a gap before the checkpoint`);
      last = r.step;
      cut = reader.bytes;
    }
  } catch (e) {
    // Corruption after every kept step was read lies in the part that is cut anyway.
    if (!(e instanceof LogError && last === fromStep - 1)) throw e instanceof LogError ? refuse(`--resume: ${e.message}`) : e;
  } finally {
    reader.close();
  }
  if (last !== fromStep - 1) throw refuse(`--resume: ${path} ends at step ${last}, before checkpoint ${fromStep}; the log would have a gap`);
  return { path, bytes: cut, recreate: false, adopt: false };
}

/** A log shared with the folder this one was copied from is refused; a moved folder takes its log over. */
function checkLogOwner(runDir: RunDir, saved: SavedRun, log: string): boolean {
  const owner = readLogOwner(log);
  if (!owner || !saved.id || owner.path === runDir.path) return false;
  if (owner.run !== saved.id) throw refuse(`--resume: ${log} belongs to another run (${owner.path}); accepted: the log this run recorded`);
  const original = join(owner.path, "config.json");
  let sameRun = false;
  try {
    sameRun = (JSON.parse(readFileSync(original, "utf8")) as { id?: string }).id === saved.id;
  } catch {
    sameRun = false;
  }
  if (sameRun) {
    throw refuse(`--resume: ${runDir.path} is a copy of ${owner.path} and shares its episode log ${log}; resuming would cut the original's log. Copy the log too and set "record" in ${runDir.configPath} to it`);
  }
  return true;
}

/** Reads and checks a run folder for resuming; changes nothing. */
export function planResume(pathOrName: string): ResumePlan {
  const runDir = openRunDir(pathOrName);
  const saved = readSavedRun(runDir);
  const { checkpoint, skipped } = newestUsableCheckpoint(join(runDir.path, "checkpoints"), saved.config);
  let fromStep = 0;
  let actorStates: ResumePlan["actorStates"];
  if (checkpoint) {
    fromStep = checkpoint.manifest.step;
    actorStates = Object.fromEntries(statefulActors(saved.config).map((id) => [id, actorStateOf(checkpoint, id)!]));
  }
  const metricsBytes = keptMetrics(runDir.metricsPath, fromStep);
  const adopt = saved.record ? checkLogOwner(runDir, saved, saved.record) : false;
  const log = saved.record ? { ...keptLog(saved.record, fromStep, saved.config)!, adopt } : undefined;
  return { runDir, saved, fromStep, actorStates, checkpointPath: checkpoint?.path, skipped, metricsBytes, ...(log ? { log } : {}) };
}

/** Cuts metrics and log back to the checkpoint, and records changed settings (e.g. --steps). */
export function applyResume(plan: ResumePlan, saved: SavedRun): void {
  truncateOrCreate(plan.runDir.metricsPath, plan.metricsBytes);
  if (plan.log) {
    if (plan.log.recreate) rmSync(plan.log.path, { force: true });
    else truncateSync(plan.log.path, plan.log.bytes);
    if (plan.log.adopt && plan.saved.id) writeLogOwner(plan.log.path, { run: plan.saved.id, path: plan.runDir.path });
  }
  if (saved !== plan.saved) writeSavedRun(plan.runDir, saved);
}

function truncateOrCreate(path: string, bytes: number): void {
  if (existsSync(path)) truncateSync(path, bytes);
  else {
    writeFileSync(`${path}.tmp`, "");
    renameSync(`${path}.tmp`, path);
  }
}

/** Flags a resume may change; every other flag must agree with the run being resumed. */
export const RESUME_MAY_CHANGE: readonly string[] = ["steps", "checkpoint-every", "keep-checkpoints", "stop-after", "transport", "nats-url", "nats-token", "nats-nkey", "nats-tls-ca", "replicas", "spawn", "log-every", "probe", "report-to", "log-completions", "eval-every", "eval-passages"];

/** Flags that name the run's files, not its configuration: they can only repeat what the run has. */
const RUN_FILE_FLAGS = new Set(["run", "runs-dir", "record"]);

export interface ResumeFlags {
  /** Flags the user set besides --resume and those a resume may change, with their values. */
  given: { flag: string; value: unknown }[];
  /** The resumed run's configuration with only `flag` applied on top. */
  withFlag(flag: string): RunConfig;
  /** --record, resolved, when given. */
  record?: string;
  steps?: number;
  checkpointEvery?: number;
  keepCheckpoints?: number;
}

/** The resumed run's settings with the changes a resume may make; refuses a flag that disagrees with the run. */
export function resumedSettings(saved: SavedRun, fromStep: number, flags: ResumeFlags): SavedRun {
  const mayChange = RESUME_MAY_CHANGE.map((f) => `--${f}`).join(", ");
  for (const { flag, value } of flags.given) {
    if (flag === "record" && saved.record && flags.record === saved.record) continue;
    const diff = RUN_FILE_FLAGS.has(flag) ? [] : diffValues(saved.config, flags.withFlag(flag), 1);
    if (!RUN_FILE_FLAGS.has(flag) && diff.length === 0) continue;
    const was = diff[0] ? ` (the run has ${diff[0].recorded})` : "";
    throw refuse(`--${flag} ${JSON.stringify(value)} conflicts with the resumed run${was}; a resume may change only ${mayChange}`);
  }
  const steps = flags.steps ?? saved.config.steps;
  if (steps <= fromStep && steps !== saved.config.steps) throw refuse(`--steps ${steps}: the run already has ${fromStep} steps done; accepted: more than ${fromStep}`);
  const checkpointEvery = flags.checkpointEvery ?? saved.checkpointEvery;
  const keepCheckpoints = flags.keepCheckpoints ?? saved.keepCheckpoints;
  if (steps === saved.config.steps && checkpointEvery === saved.checkpointEvery && keepCheckpoints === saved.keepCheckpoints) return saved;
  return { ...saved, checkpointEvery, ...(keepCheckpoints !== undefined ? { keepCheckpoints } : {}), config: { ...saved.config, steps } };
}
