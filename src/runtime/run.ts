// One self-play run: start the hub over the chosen transport, record every message when asked,
// and return what happened. Commands and tests share this; the actors are passed in.

import { EpisodeLogWriter } from "../protocol/log.ts";
import type { ActorId, PolicyVersion } from "../protocol/messages.ts";
import type { RunConfig, TransportKind } from "./config.ts";
import { Hub, type ActorModule, type HubOptions, type RunResult } from "./hub.ts";
import { cpuClass } from "./cpu-class.ts";

export interface RunOptions {
  config: RunConfig;
  transport: TransportKind;
  actors: Record<ActorId, ActorModule>;
  /** Write an episode log here; refuses an existing file. */
  recordPath?: string;
  /** Header "command" field of the log. */
  command?: string;
  onVersion?: (v: PolicyVersion) => void;
  onTiming?: HubOptions["onTiming"];
  observe?: HubOptions["observe"];
  onCheckpoint?: HubOptions["onCheckpoint"];
  actorStates?: HubOptions["actorStates"];
  stopAtStep?: number;
  /** Append to this existing log instead of creating one (resume); it must end before the resumed step. */
  appendToLog?: boolean;
  maxRestarts?: number;
  replicas?: HubOptions["replicas"];
  remote?: HubOptions["remote"];
}

export interface RunOutcome extends RunResult {
  logBytes?: number;
  logRecords?: number;
}

export async function runSelfPlay(opts: RunOptions): Promise<RunOutcome> {
  const writer = opts.recordPath
    ? opts.appendToLog
      ? EpisodeLogWriter.reopen(opts.recordPath)
      : EpisodeLogWriter.create(opts.recordPath, { command: opts.command ?? "simulate", config: opts.config, cpu: cpuClass() })
    : null;
  let records = 0;
  try {
    const hub = new Hub({
      config: opts.config,
      transport: opts.transport,
      actors: opts.actors,
      maxRestarts: opts.maxRestarts,
      replicas: opts.replicas,
      remote: opts.remote,
      onVersion: opts.onVersion,
      onTiming: opts.onTiming,
      observe: opts.observe,
      onCheckpoint: opts.onCheckpoint,
      actorStates: opts.actorStates,
      stopAtStep: opts.stopAtStep,
      record: writer
        ? (envs) => {
            writer.append(envs.map((e) => ({ step: e.msg.step, from: e.from, to: e.to, id: e.id, msg: e.msg })));
            records += envs.length;
          }
        : undefined,
    });
    const result = await hub.run();
    if (writer) writer.flush();
    return { ...result, ...(writer ? { logBytes: writer.bytes, logRecords: records } : {}) };
  } finally {
    writer?.close();
  }
}
