// One self-play run: start the hub over the chosen transport, record every message when asked,
// and return what happened. Commands and tests share this; the actors are passed in.

import { EpisodeLogWriter } from "../protocol/log.ts";
import type { ActorId, PolicyVersion } from "../protocol/messages.ts";
import type { RunConfig, TransportKind } from "./config.ts";
import { Hub, type ActorModule, type RunResult } from "./hub.ts";

export interface RunOptions {
  config: RunConfig;
  transport: TransportKind;
  actors: Record<ActorId, ActorModule>;
  /** Write an episode log here; refuses an existing file. */
  recordPath?: string;
  /** Header "command" field of the log. */
  command?: string;
  onVersion?: (v: PolicyVersion) => void;
  maxRestarts?: number;
}

export interface RunOutcome extends RunResult {
  logBytes?: number;
  logRecords?: number;
}

export async function runSelfPlay(opts: RunOptions): Promise<RunOutcome> {
  const writer = opts.recordPath
    ? EpisodeLogWriter.create(opts.recordPath, { command: opts.command ?? "simulate", config: opts.config })
    : null;
  let records = 0;
  try {
    const hub = new Hub({
      config: opts.config,
      transport: opts.transport,
      actors: opts.actors,
      maxRestarts: opts.maxRestarts,
      onVersion: opts.onVersion,
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
