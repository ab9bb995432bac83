// Every task the toolkit can run. Adding a task: a folder under src/tasks/ whose task.ts exports a
// Task (./task.ts), and one line below (docs/adding-a-task.md).

import type { ActorId } from "../protocol/messages.ts";
import type { RunConfig } from "../runtime/config.ts";
import type { Task } from "./task.ts";
import { PRETRAINZERO } from "./pretrainzero/task.ts";
import { ENTROPY, NEXT_TOKEN, RANDOM_SPAN } from "./baselines/task.ts";
import { AZR } from "./azr/task.ts";
import { RPT } from "./rpt/task.ts";
import { RLP } from "./rlp/task.ts";
import type { MaskMessage } from "./pretrainzero/messages.ts";
import type { AzrMessage } from "./azr/messages.ts";
import type { RlpMessage } from "./rlp/messages.ts";

export const TASKS: readonly Task[] = [PRETRAINZERO, RANDOM_SPAN, NEXT_TOKEN, ENTROPY, AZR, RPT, RLP];

/** Message types the tasks add to the protocol (for type checking; the codec reads TASKS). */
export type TaskMessage = MaskMessage | AzrMessage | RlpMessage;

export const TASK_NAMES: readonly string[] = TASKS.map((t) => t.name);

/** The task by name; an unknown name is a one-line error listing the known ones. */
export function taskNamed(name: string): Task {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown task "${name}"; known tasks: ${TASK_NAMES.join(", ")}`);
  return t;
}

/** The run's task. */
export function taskOf(config: RunConfig): Task {
  return taskNamed(config.task);
}

/** Actors whose state a checkpoint of the run must hold: the learner, and the task's stateful ones. */
export function statefulActors(config: RunConfig): ActorId[] {
  return ["learner", ...(Object.keys(taskOf(config).statefulActors) as ActorId[])];
}
