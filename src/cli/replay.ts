// `bun run replay LOG`: re-drive the learner (or one other actor) from a recorded episode log and
// compare what it sends with the recording, step by step.

import { resolve } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import { readEpisodeLog } from "../protocol/log.ts";
import { ACTOR_IDS, type ActorId } from "../protocol/messages.ts";
import { runConfigFrom, type RunConfig } from "../runtime/config.ts";
import { formatDiff } from "../runtime/diff.ts";
import { cpuClass } from "../runtime/cpu-class.ts";
import { defaultDivergencePath, writeDivergenceFile } from "../inspector/divergence.ts";
import { replayActor, type Divergence } from "../runtime/replay.ts";
import { openRunDir, readLogOwner, readSavedRun, recordedWallSeconds } from "../runtime/run-dir.ts";
import { REWARD_DESIGNS, type RewardDesign } from "../tasks/pretrainzero/rewards.ts";
import { defineCommand, InputError } from "./args.ts";
import { Progress } from "./progress.ts";

export const replayCommand = defineCommand(
  {
    name: "replay",
    summary: "Re-drive one actor from an episode log; with --verify, fail at the first message that differs.",
    positionals: [{ name: "LOG", help: "episode log written by --record", required: true }],
    flags: [
      { name: "actor", type: "enum", values: ACTOR_IDS, default: "learner", help: "which actor to re-drive" },
      { name: "verify", type: "boolean", default: false, help: "stop at the first divergent message, print a diff and exit 1" },
      { name: "design", type: "enum", values: REWARD_DESIGNS, help: "replay with another reward design than recorded (what-if)" },
      { name: "stall-ms", type: "int", min: 1, default: 30000, help: "give up when the actor is silent this long with messages expected" },
      {
        name: "divergence-out",
        type: "path",
        help: "write the first divergence as JSON here, for `bun run inspect` (default with --verify: <LOG>.divergence.json, written only when one is found)",
      },
    ],
    examples: [
      "bun run replay runs/sim.spzlog --verify",
      "bun run replay runs/sim.spzlog --actor reward --design plain --verify",
    ],
  },
  async (args) => {
    const file = args.positionals[0]!;
    const started = performance.now();
    const actor = args.flags.actor as ActorId;
    // Every frame's checksum is checked; only the actor's records are kept, and only the messages it reads are decoded.
    const log = readEpisodeLog(file, { lazy: true, only: actor });
    const recorded = log.header.config as RunConfig;
    if (typeof recorded !== "object" || recorded === null || typeof recorded.seed !== "number") {
      throw new InputError(`log ${file} has no run configuration in its header; accepted: logs written by simulate or train --record`);
    }
    const config: RunConfig = { ...runConfigFrom(recorded as unknown as Record<string, unknown>), faults: [] };
    const here = cpuClass();
    if (actor === "learner" && config.backend === "model" && log.header.cpu !== undefined && log.header.cpu !== here) {
      console.error(
        `warning: ${file} was recorded on a ${log.header.cpu} CPU and this one is ${here}; onnxruntime's kernels sum in another order on another instruction set, so the learner's floats may differ in their last bits (replay on a ${log.header.cpu} machine to check bit for bit)`,
      );
    }
    const resumedSteps = stepsChangedOnResume(file, recorded.steps);
    if (resumedSteps !== undefined) {
      console.error(
        `warning: ${file} belongs to a run resumed with --steps ${resumedSteps} (its header records ${recorded.steps}); replay rebuilds actors from the header, so the learner (whose learning-rate schedule and last step follow --steps) and the Absolute Zero proposer diverge where the run was resumed`,
      );
    }
    if (args.flags.design) config.design = args.flags.design as RewardDesign;
    const verify = args.flags.verify as boolean;
    const say = (s: string) => console.log(s);
    say(`replaying ${actor} from ${file}: ${log.records.length} records to or from it, recorded by '${log.header.command}' (design=${recorded.design}${config.design !== recorded.design ? `, replaying with design=${config.design}` : ""})`);
    const steps = new Set(log.records.map((r) => r.step)).size;
    const progress = new Progress({ total: steps, label: "replay step" });
    const result = await replayActor({
      log,
      actor,
      factory: ACTORS[actor].factory,
      config,
      stopAtDivergence: verify,
      stallMs: args.flags["stall-ms"] as number,
      onStep: (s) => {
        progress.print(`step ${String(s.step).padStart(4)}: ${s.compared} messages compared, ${s.diverged} differ${s.digest ? `, params ${s.digest}` : ""}`);
        progress.update(s.step + 1, { compared: s.compared, differ: s.diverged });
      },
    });
    progress.done();
    const first = result.divergences[0];
    if (first) say(describeDivergence(first, file));
    const divergenceOut = (args.flags["divergence-out"] as string | undefined) ?? (verify ? defaultDivergencePath(file) : undefined);
    if (first && divergenceOut !== undefined) {
      try {
        writeDivergenceFile(divergenceOut, {
          log: resolve(file),
          logBytes: log.bytes,
          actor,
          design: config.design,
          recordedDesign: recorded.design ?? null,
          divergence: first,
          summary: describeDivergence(first, file),
        });
        say(`divergence written to ${divergenceOut} (open it with: bun run inspect ${file})`);
      } catch (e) {
        // The verdict matters more than the file: report, keep the exit code.
        say(`warning: could not write ${divergenceOut}: ${(e as Error).message}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const recordedWall = recordedWallSeconds(file);
    const speedup = recordedWall && !first ? recordedWall.seconds / seconds : null;
    const summary = {
      log: file,
      actor,
      fed: result.fed,
      compared: result.compared,
      divergences: result.divergences.length,
      firstDivergentStep: first?.step ?? null,
      ok: !first,
      seconds: Math.round(seconds * 1000) / 1000,
      recordedSeconds: recordedWall?.seconds ?? null,
      speedup: speedup === null ? null : Math.round(speedup * 10) / 10,
    };
    say(first ? `DIVERGED: ${result.divergences.length} message(s) differ; first at step ${first.step}` : `OK: ${result.compared} messages from ${actor} match the recording bit for bit`);
    say(speedLine(seconds, result.steps, recordedWall, speedup));
    if (args.json) say(JSON.stringify(summary));
    return first && verify ? 1 : 0;
  },
);

/** The run's current --steps when a resume changed it from what the log's header records. */
function stepsChangedOnResume(log: string, recorded: number): number | undefined {
  const owner = readLogOwner(log);
  if (!owner) return undefined;
  try {
    const steps = readSavedRun(openRunDir(owner.path)).config.steps;
    return steps !== recorded ? steps : undefined;
  } catch {
    return undefined;
  }
}

function speedLine(seconds: number, steps: number, recorded: ReturnType<typeof recordedWallSeconds>, speedup: number | null): string {
  const replay = `replayed ${steps} steps in ${seconds.toFixed(2)} s`;
  if (!recorded) return `${replay}; the recorded run's wall time is unknown (no run folder beside the log: <LOG>.run.json)`;
  const live = `the recorded run took ${recorded.seconds.toFixed(2)} s (${recorded.metrics})`;
  if (speedup === null) return `${replay}; ${live}`;
  return `${replay}; ${live}: ${speedup >= 1 ? `${speedup.toFixed(1)}x faster than live` : `${(1 / speedup).toFixed(1)}x slower than live`}`;
}

export function describeDivergence(d: Divergence, file: string): string {
  const where = d.recordedSeq !== undefined ? ` (record #${d.recordedSeq} of ${file})` : "";
  if (d.kind === "missing") return `first divergence at step ${d.step}: the replayed actor never sent ${d.type} ${d.id}${where}`;
  if (d.kind === "unexpected") return `first divergence at step ${d.step}: the replayed actor sent ${d.type} ${d.id}, which the recording does not have`;
  return `first divergence at step ${d.step}: ${d.type} ${d.id}${where}\n${formatDiff(d.diff)}`;
}
