// Absolute Zero reward (the reward actor of task azr); the sandboxed executor lives here.
// Proposals are validated (parse, bans, determinism, limits); valid ones become solver tasks for the
// predictor and triplets for the proposer's buffers. Predictions are checked in the sandbox, and
// one scored message per proposer chunk carries both roles' rewards, tagged with the task type.
// Executor work is asynchronous, so jobs run one at a time from a queue, in arrival order.

import { assertEvent, assign, fromPromise, setup } from "xstate";
import type { Executor } from "../../exec/types.ts";
import { messageId, type ActorId, type Predictions, type Scored, type ScoredGroup } from "../../protocol/messages.ts";
import type { Proposals, Tasks, Validated } from "./messages.ts";
import { azrOptions } from "./options.ts";
import type { RunConfig } from "../../runtime/config.ts";
import { post, type Inbound, type Outbound } from "../../runtime/host.ts";
import { rng } from "../../runtime/rng.ts";
import { checkSolutionBatch, solverTask, validateBatch, type SolverHidden } from "./execute.ts";
import { parseSolution } from "./parse.ts";
import { solverPrompt } from "./prompts.ts";
import { invalidProposalReward, learnabilityReward, solverReward, solveRate } from "./rewards.ts";
import type { AzrTaskType, Proposal, SolverTask } from "./types.ts";

export interface AzrRewardDeps {
  config: RunConfig;
  exec: Executor;
}

/** What the reward actor keeps of a validated chunk until its predictions arrive. */
interface ChunkState {
  proposals: Proposals;
  /** Per proposer prompt key: validity of each rollout. */
  valid: Record<string, boolean[]>;
  tasks: Record<string, { task: SolverTask; hidden: SolverHidden }>;
}

type Job = { kind: "validate"; msg: Proposals } | { kind: "score"; batch: string };

/** A validated chunk: what to keep, the solver tasks and the triplets to send. */
type ValidatedChunk = { state: ChunkState; tasks: Tasks; validated: Validated };

/** A finished job's result. */
type JobDone = { kind: "validate"; chunk: ValidatedChunk } | { kind: "score"; scored: Scored };

/** A message and the peer it goes to. */
type Mail = { to: ActorId; event: Outbound };

interface AzrRewardContext {
  config: RunConfig;
  exec: Executor;
  queue: Job[];
  chunks: Record<string, ChunkState>;
  predictions: Record<string, Predictions>;
  /** The messages the last finished job produced; postOutbox posts them, in order. */
  outbox: Mail[];
}

type AzrRewardEvent = Inbound<Proposals> | Inbound<Predictions>;

/** Validate a chunk's proposals; the solver tasks and triplets to send, and what to keep. */
async function validateChunk(ctx: AzrRewardContext, msg: Proposals): Promise<ValidatedChunk> {
  const type = msg.taskType as AzrTaskType;
  const flat: { key: string; proposal: Proposal }[] = [];
  const valid: Record<string, boolean[]> = {};
  for (const p of msg.proposals) {
    valid[p.key] = p.rollouts.map(() => false);
    p.rollouts.forEach((r, i) => {
      if (r.invalid === undefined) flat.push({ key: `${p.key}/g${i}`, proposal: { type, program: r.program, inputs: r.inputs, ...(r.message !== undefined ? { message: r.message } : {}) } });
    });
  }
  const results = flat.length ? await validateBatch(ctx.exec, flat.map((f) => f.proposal)) : [];
  const state: ChunkState = { proposals: msg, valid, tasks: {} };
  const tasks: Tasks["tasks"] = [];
  const triplets: Validated["triplets"] = [];
  results.forEach((res, j) => {
    if (!res.valid) return;
    const { key } = flat[j]!;
    const [promptKey, g] = [key.slice(0, key.lastIndexOf("/g")), Number(key.slice(key.lastIndexOf("/g") + 2))];
    valid[promptKey]![g] = true;
    const t = solverTask(type, res.triplets, rng({ seed: ctx.config.seed, step: msg.step, role: "azr-task", item: key }));
    state.tasks[key] = t;
    tasks.push({ key, prompt: solverPrompt(t.task, ctx.config.template) });
    triplets.push(...res.triplets);
  });
  return {
    state,
    tasks: { type: "tasks", step: msg.step, version: msg.version, batch: msg.batch, tasks },
    validated: { type: "validated", step: msg.step, batch: msg.batch, taskType: msg.taskType, triplets },
  };
}

/** Check every prediction of a chunk and score both roles. */
async function scoreChunk(ctx: AzrRewardContext, state: ChunkState, preds: Predictions): Promise<Scored> {
  const type = state.proposals.taskType as AzrTaskType;
  const official = azrOptions(ctx.config).official;
  const items = preds.groups.flatMap((g) => {
    const t = state.tasks[g.maskId];
    if (!t) throw new Error(`azr reward: predictions for unknown task ${g.maskId}`);
    return g.completions.map((c) => ({ type, task: t.task, hidden: t.hidden, solution: parseSolution(type, c, ctx.config.template) }));
  });
  const checks = items.length ? await checkSolutionBatch(ctx.exec, items) : [];
  const groups: ScoredGroup[] = [];
  const rateOf: Record<string, number> = {};
  let k = 0;
  for (const g of preds.groups) {
    const cs = checks.slice(k, k + g.completions.length);
    k += g.completions.length;
    rateOf[g.maskId] = solveRate(cs);
    groups.push({ role: "predictor", key: g.maskId, rewards: cs.map((c) => solverReward(c, { official })), acc: rateOf[g.maskId]!, taskType: type });
  }
  for (const p of state.proposals.proposals) {
    const valid = state.valid[p.key]!;
    const rewards = valid.map((ok, i) => (ok ? learnabilityReward(rateOf[`${p.key}/g${i}`] ?? 0, { official }) : invalidProposalReward({ official })));
    groups.push({ role: "generator", key: p.key, rewards, invalid: valid.filter((v) => !v).length, taskType: type });
  }
  return { type: "scored", step: preds.step, passage: preds.passage, groups };
}

export function azrRewardMachine(deps: AzrRewardDeps) {
  return setup({
    types: { context: {} as AzrRewardContext, events: {} as AzrRewardEvent },
    actors: {
      work: fromPromise<JobDone, { ctx: AzrRewardContext; job: Job }>(async ({ input }) => {
        const { ctx, job } = input;
        if (job.kind === "validate") return { kind: "validate", chunk: await validateChunk(ctx, job.msg) };
        return { kind: "score", scored: await scoreChunk(ctx, ctx.chunks[job.batch]!, ctx.predictions[job.batch]!) };
      }),
    },
    actions: {
      enqueueValidation: assign(({ context, event }) => {
        assertEvent(event, "proposals");
        const job: Job = { kind: "validate", msg: event };
        return { queue: [...context.queue, job] };
      }),
      storePredictions: assign(({ context, event }) => {
        assertEvent(event, "predictions");
        const ready = context.chunks[event.passage] !== undefined;
        const job: Job = { kind: "score", batch: event.passage };
        return {
          predictions: { ...context.predictions, [event.passage]: event },
          queue: ready ? [...context.queue, job] : context.queue,
        };
      }),
      /** Take a finished job off the queue and decide what it sends (posted by postOutbox). */
      finishJob: assign(({ context }, done: JobDone) => {
        const queue = context.queue.slice(1);
        if (done.kind === "validate") {
          const v = done.chunk;
          const step = v.tasks.step;
          // Triplets first: they must reach the proposer before this step's scores reach the learner.
          const outbox: Mail[] = [
            { to: "generator", event: { ...v.validated, id: messageId(step, "reward", "validated", v.tasks.batch) } },
            { to: "predictor", event: { ...v.tasks, id: messageId(step, "reward", "tasks", v.tasks.batch) } },
          ];
          const chunks = { ...context.chunks, [v.tasks.batch]: v.state };
          // Predictions that arrived before validation finished (cannot happen today, but cheap to allow).
          const late: Job[] = context.predictions[v.tasks.batch] ? [{ kind: "score", batch: v.tasks.batch }] : [];
          return { queue: [...queue, ...late], chunks, outbox };
        }
        const { scored } = done;
        const { [scored.passage]: _c, ...chunks } = context.chunks;
        const { [scored.passage]: _p, ...predictions } = context.predictions;
        return { queue, chunks, predictions, outbox: [{ to: "learner", event: { ...scored, id: messageId(scored.step, "reward", "scored", scored.passage) } }] };
      }),
      postOutbox: ({ system }, { mail }: { mail: Mail[] }) => {
        for (const m of mail) post(system, m.to, m.event);
      },
    },
    guards: {
      hasWork: ({ context }) => context.queue.length > 0,
    },
  }).createMachine({
    id: "azr-reward",
    context: { config: deps.config, exec: deps.exec, queue: [], chunks: {}, predictions: {}, outbox: [] },
    on: {
      proposals: { actions: "enqueueValidation" },
      predictions: { actions: "storePredictions" },
    },
    initial: "idle",
    states: {
      idle: {
        always: { guard: "hasWork", target: "working" },
      },
      working: {
        invoke: {
          id: "work",
          src: "work",
          input: ({ context }) => ({ ctx: context, job: context.queue[0]! }),
          onDone: {
            actions: [
              { type: "finishJob", params: ({ event }) => event.output },
              { type: "postOutbox", params: ({ context }) => ({ mail: context.outbox }) },
            ],
            target: "idle",
          },
        },
      },
    },
  });
}
