// Learner. Owns the policy: serves sample requests one at a time, keeps the step's rollouts,
// collects scored groups, and as soon as every paragraph of the step is scored assembles one
// GRPO batch for both roles, updates, checkpoints, and announces the next policy version.

import { assertEvent, assign, fromPromise, setup } from "xstate";
import { encodeValue } from "../src/protocol/codec.ts";
import { type ActorState, isTensorState } from "../src/runtime/actor-state.ts";
export { decodeLearnerState } from "../src/runtime/learner-state.ts";
import {
  messageId,
  type Completion,
  type PolicyVersion,
  type SampleRequest,
  type SampleResponse,
  type Scored,
  type ScoredGroup,
  type StepStats,
} from "../src/protocol/messages.ts";
import { assembleBatch } from "../src/rl/batch.ts";
import { DEFAULT_GRPO } from "../src/rl/grpo.ts";
import type { TrainResult } from "../src/rl/batch-types.ts";
import type { LearnerBackend } from "../src/backends/backend.ts";
import type { RunConfig } from "../src/runtime/config.ts";
import { post, type Inbound, type LearnerTiming, type Outbound } from "../src/runtime/host.ts";
import type { ActorId, EntropyRequest, EntropyResponse, LogprobRequest, LogprobResponse, Role } from "../src/protocol/messages.ts";
import { taskOf } from "../src/tasks/registry.ts";
import { addRoleSampling, samplingOf, type RoleSampling, type SamplingByRole } from "../src/runtime/sampling-stats.ts";

export interface LearnerDeps {
  config: RunConfig;
  backend: LearnerBackend;
  /** Where the step/version/backend state is handed after each update (the supervisor). */
  checkpoint(step: number, state: ActorState): void;
  /** Where the step's wall-clock timing goes; never into a message, so logs stay deterministic. */
  timing?(t: LearnerTiming): void;
  /** State restored after a restart, as produced by learnerState(). */
  resume?: { step: number; version: number; lastStats?: StepStats };
}

interface Rollout {
  prompt: string;
  completions: Completion[];
}

interface LearnerContext {
  config: RunConfig;
  backend: LearnerBackend;
  step: number;
  version: number;
  queue: Inbound<LearnerRequest>[];
  rollouts: Map<string, Rollout>;
  scored: ScoredGroup[];
  passagesScored: number;
  lastStats?: StepStats;
  /** Wall-clock accounting of the current step (reported, never recorded). */
  clock: { sampleMs: number; trainMs: number; sampledTokens: number; completions: number };
  /**
   * The step's per-role entropy, lengths and truncation, per request id (reported with the timing,
   * never recorded). Summed in id order: requests arrive in whatever order replicas send them.
   */
  sampling: Record<string, { role: Role; s: RoleSampling }>;
  /** The response the last served request produced; postOutbox posts it. */
  outbox: Mail[];
}

/** Per-request sampling statistics summed per role in request-id order: the same sums whatever the arrival order. */
function canonicalSampling(parts: LearnerContext["sampling"]): SamplingByRole {
  let by: SamplingByRole = {};
  for (const id of Object.keys(parts).sort()) by = addRoleSampling(by, parts[id]!.role, parts[id]!.s);
  return by;
}

/** A message and the peer it goes to. */
type Mail = { to: ActorId; event: Outbound };

/** Requests the learner serves one at a time, in arrival order. */
type LearnerRequest = SampleRequest | EntropyRequest | LogprobRequest;

type LearnerEvent = Inbound<SampleRequest> | Inbound<EntropyRequest> | Inbound<LogprobRequest> | Inbound<Scored>;

type Served =
  | { kind: "samples"; results: SampleResponse["results"] }
  | { kind: "entropies"; results: EntropyResponse["results"] }
  | { kind: "logprobs"; results: LogprobResponse["results"] };

/**
 * What a restarted learner needs besides the backend's own snapshot. A byte snapshot (the
 * simulator) is wrapped as before; a tensor snapshot keeps its tensors as they are and wraps only
 * its meta bytes, so the state never becomes one buffer.
 */
export function learnerState(ctx: { step: number; version: number; lastStats?: StepStats }, backend: ActorState): ActorState {
  const wrap = (b: Uint8Array) => encodeValue({ step: ctx.step, version: ctx.version, lastStats: ctx.lastStats ?? null, backend: b });
  return isTensorState(backend) ? { meta: wrap(backend.meta), files: backend.files } : wrap(backend);
}

/** Roles the learner trains under the run's task. */
export function trainRoles(config: RunConfig): Role[] {
  return taskOf(config).trainRoles(config);
}

export function learnerMachine(deps: LearnerDeps) {
  return setup({
    types: { context: {} as LearnerContext, events: {} as LearnerEvent },
    actors: {
      sample: fromPromise<{ served: Served; ms: number; sampling?: RoleSampling }, { backend: LearnerBackend; req: Inbound<LearnerRequest> }>(
        async ({ input }) => {
          const t0 = performance.now();
          const { backend, req } = input;
          let served: Served;
          if (req.type === "entropy.request") {
            if (!backend.entropies) throw new Error(`learner: the ${backend.kind} backend cannot compute entropies (task entropy)`);
            served = { kind: "entropies", results: await backend.entropies(req.prompts, req.step) };
          } else if (req.type === "logprob.request") {
            if (!backend.logprobs) throw new Error(`learner: the ${backend.kind} backend cannot score log-probabilities`);
            served = { kind: "logprobs", results: await backend.logprobs(req) };
          } else {
            const results = await backend.sample(req, req.id);
            const sampling = samplingOf(results);
            return { served: { kind: "samples", results }, ms: performance.now() - t0, ...(sampling ? { sampling } : {}) };
          }
          return { served, ms: performance.now() - t0 };
        },
      ),
      train: fromPromise<{ result: TrainResult; stats: StepStats; ms: number }, { ctx: LearnerContext }>(async ({ input }) => {
        const { ctx } = input;
        const t0 = performance.now();
        const { batch, stats } = assembleBatch({
          step: ctx.step,
          version: ctx.version,
          rollouts: ctx.rollouts,
          scored: ctx.scored,
          config: { ...DEFAULT_GRPO, ...ctx.config.grpo },
          trainRoles: trainRoles(ctx.config),
          advantage: taskOf(ctx.config).advantage,
        });
        const result = await ctx.backend.train(batch);
        return { result, stats: { ...stats, ...result }, ms: performance.now() - t0 };
      }),
    },
    actions: {
      announce: ({ context, system }) => {
        const v: PolicyVersion = {
          type: "policy.version",
          step: context.step,
          version: context.version,
          digest: context.backend.digest(),
          ...(context.lastStats ? { stats: context.lastStats } : {}),
        };
        post(system, "generator", { ...v, id: messageId(context.step, "learner", "policy.version", `v${context.version}`) });
      },
      enqueue: assign(({ context, event }) => {
        assertEvent(event, ["sample.request", "entropy.request", "logprob.request"]);
        return { queue: [...context.queue, event] };
      }),
      storeScored: assign(({ context, event }) => {
        assertEvent(event, "scored");
        const s = event;
        if (s.step !== context.step) throw new Error(`learner: scored ${s.passage} is for step ${s.step}, learner is at ${context.step}`);
        return { scored: [...context.scored, ...s.groups], passagesScored: context.passagesScored + 1 };
      }),
      /** Take the served request off the queue and decide its response (posted by postOutbox). */
      respond: assign(({ context }, { served, ms, sampling: s }: { served: Served; ms: number; sampling?: RoleSampling }) => {
        const req = context.queue[0]!;
        const queue = context.queue.slice(1);
        const clock = { ...context.clock, sampleMs: context.clock.sampleMs + ms };
        if (served.kind === "entropies") {
          const res: EntropyResponse = { type: "entropy.response", request: req.id, step: req.step, version: context.version, results: served.results };
          return { queue, clock, outbox: [{ to: req.from, event: { ...res, id: messageId(req.step, "learner", "entropy.response", req.id) } }] };
        }
        if (served.kind === "logprobs") {
          const res: LogprobResponse = { type: "logprob.response", request: req.id, step: req.step, version: context.version, results: served.results };
          return { queue, clock, outbox: [{ to: req.from, event: { ...res, id: messageId(req.step, "learner", "logprob.response", req.id) } }] };
        }
        if (req.type !== "sample.request") throw new Error(`learner: samples served for a ${req.type} (${req.id})`);
        const results = served.results;
        for (const r of results) {
          clock.completions += r.completions.length;
          for (const c of r.completions) clock.sampledTokens += c.tokens?.length ?? 0;
        }
        const sampling = s ? { ...context.sampling, [req.id]: { role: req.role, s } } : context.sampling;
        const res: SampleResponse = { type: "sample.response", request: req.id, step: req.step, version: context.version, role: req.role, results };
        // The step's rollouts: a new map, so the snapshot before this response is left as it was.
        const byKey = new Map(req.prompts.map((p) => [p.key, p.text]));
        const rollouts = new Map(context.rollouts);
        for (const r of results) rollouts.set(r.key, { prompt: byKey.get(r.key)!, completions: r.completions });
        return { queue, clock, sampling, rollouts, outbox: [{ to: req.from, event: { ...res, id: messageId(req.step, "learner", "sample.response", req.id) } }] };
      }),
      postOutbox: ({ system }, { mail }: { mail: Mail[] }) => {
        for (const m of mail) post(system, m.to, m.event);
      },
      /** The step's timing goes to the host, never into a message. */
      reportTiming: ({ context }, { ms }: { ms: number }) => {
        deps.timing?.({ step: context.step, ...context.clock, trainMs: ms, sampling: canonicalSampling(context.sampling) });
      },
      finishUpdate: assign(({ context }, { stats }: { stats: StepStats }) => ({
        clock: { sampleMs: 0, trainMs: 0, sampledTokens: 0, completions: 0 },
        sampling: {},
        step: context.step + 1,
        version: context.version + 1,
        rollouts: new Map<string, Rollout>(),
        scored: [],
        passagesScored: 0,
        lastStats: stats,
      })),
      checkpoint: ({ context }) => {
        deps.checkpoint(context.step, learnerState(context, context.backend.snapshot()));
      },
    },
    guards: {
      hasRequests: ({ context }) => context.queue.length > 0,
      batchComplete: ({ context }) => context.passagesScored === taskOf(context.config).scoredPerStep(context.config),
      runComplete: ({ context }) => context.step >= context.config.steps,
    },
  }).createMachine({
    id: "learner",
    context: {
      config: deps.config,
      backend: deps.backend,
      step: deps.resume?.step ?? 0,
      version: deps.resume?.version ?? 0,
      queue: [],
      rollouts: new Map(),
      scored: [],
      passagesScored: 0,
      lastStats: deps.resume?.lastStats,
      clock: { sampleMs: 0, trainMs: 0, sampledTokens: 0, completions: 0 },
      sampling: {},
      outbox: [],
    },
    initial: "announcing",
    states: {
      announcing: {
        entry: "announce",
        always: [{ guard: "runComplete", target: "finished" }, { target: "idle" }],
      },
      idle: {
        always: [
          { guard: "hasRequests", target: "sampling" },
          { guard: "batchComplete", target: "training" },
        ],
        on: {
          "sample.request": { actions: "enqueue", target: "sampling" },
          "entropy.request": { actions: "enqueue", target: "sampling" },
          "logprob.request": { actions: "enqueue", target: "sampling" },
          scored: { actions: "storeScored", target: "idle", reenter: true },
        },
      },
      sampling: {
        invoke: {
          id: "sample",
          src: "sample",
          input: ({ context }) => ({ backend: context.backend, req: context.queue[0]! }),
          onDone: {
            actions: [
              { type: "respond", params: ({ event }) => event.output },
              { type: "postOutbox", params: ({ context }) => ({ mail: context.outbox }) },
            ],
            target: "idle",
          },
        },
        on: {
          "sample.request": { actions: "enqueue" },
          "entropy.request": { actions: "enqueue" },
          "logprob.request": { actions: "enqueue" },
          scored: { actions: "storeScored" },
        },
      },
      training: {
        invoke: {
          id: "train",
          src: "train",
          input: ({ context }) => ({ ctx: context }),
          onDone: {
            actions: [
              { type: "reportTiming", params: ({ event }) => event.output },
              { type: "finishUpdate", params: ({ event }) => event.output },
              "checkpoint",
            ],
            target: "announcing",
          },
        },
        on: {
          "sample.request": { actions: "enqueue" },
          "entropy.request": { actions: "enqueue" },
          "logprob.request": { actions: "enqueue" },
        },
      },
      finished: { type: "final" },
    },
  });
}
