// RLP's reward actor. Per paragraph it joins the targets (from the generator) with the thoughts
// (from the predictor), asks the learner for two sets of log-probabilities of each target word
// (after the context and each thought, under the policy; after the bare context, under the moving
// average of its weights), and scores each thought by its information gain.

import { assertEvent, assign, setup } from "xstate";
import { messageId, type LogprobRequest, type LogprobResponse, type Predictions, type Scored, type ScoredGroup } from "../../protocol/messages.ts";
import { post, type Inbound } from "../../runtime/host.ts";
import type { Targets } from "./messages.ts";
import { informationGain, withThought } from "./reward.ts";

interface Join {
  targets?: Targets;
  predictions?: Predictions;
  policy?: LogprobResponse["results"];
  ema?: LogprobResponse["results"];
}

interface RlpRewardContext {
  groups: Record<string, Join>;
  /** Request id -> paragraph key and which weights it asked for. */
  pending: Record<string, { group: string; weights: "policy" | "ema" }>;
}

type RlpRewardEvent = Inbound<Targets> | Inbound<Predictions> | Inbound<LogprobResponse>;

/** The two log-prob requests of a joined paragraph. Pure. */
export function scoreRequests(targets: Targets, predictions: Predictions): { policy: LogprobRequest; ema: LogprobRequest } {
  const thoughts = new Map(predictions.groups.map((g) => [g.maskId, g.completions]));
  const policy: LogprobRequest["items"] = [];
  for (const it of targets.items) {
    const cs = thoughts.get(it.key);
    if (!cs) throw new Error(`rlp reward: no thoughts for ${it.key}`);
    cs.forEach((c, i) => policy.push({ key: `${it.key}/c${i}`, context: withThought(it.context, c), target: it.target }));
  }
  const ema = targets.items.map((it) => ({ key: it.key, context: it.context, target: it.target }));
  const { step, version } = targets;
  return {
    policy: { type: "logprob.request", step, version, weights: "policy", items: policy },
    ema: { type: "logprob.request", step, version, weights: "ema", items: ema },
  };
}

/** One predictor group per context: each thought's information gain. Pure. */
export function rlpScored(j: Required<Join>): Scored {
  const policy = new Map(j.policy.map((r) => [r.key, r.logprob]));
  const baseline = new Map(j.ema.map((r) => [r.key, r.logprob]));
  const groups: ScoredGroup[] = j.predictions.groups.map((g) => ({
    role: "predictor",
    key: g.maskId,
    rewards: informationGain(
      g.completions.map((_, i) => policy.get(`${g.maskId}/c${i}`)!),
      baseline.get(g.maskId)!,
    ),
  }));
  return { type: "scored", step: j.targets.step, passage: j.targets.group, groups };
}

const requestId = (t: Targets, w: "policy" | "ema") => messageId(t.step, "reward", "logprob.request", `${t.group}/${w}`);

export function rlpRewardMachine() {
  const groupOf = (ctx: RlpRewardContext, e: RlpRewardEvent): string =>
    e.type === "targets" ? e.group : e.type === "predictions" ? e.passage : ctx.pending[e.request]!.group;
  /** The paragraph's join with this event's half added. */
  const joined = (ctx: RlpRewardContext, e: RlpRewardEvent): Join => {
    const j = { ...ctx.groups[groupOf(ctx, e)] };
    if (e.type === "targets") j.targets = e;
    else if (e.type === "predictions") j.predictions = e;
    else j[ctx.pending[e.request]!.weights] = e.results;
    return j;
  };
  return setup({
    types: { context: {} as RlpRewardContext, events: {} as RlpRewardEvent },
    actions: {
      store: assign(({ context, event }) => ({ groups: { ...context.groups, [groupOf(context, event)]: joined(context, event) } })),
      requestScores: ({ context, event, system }) => {
        const j = context.groups[groupOf(context, event)]!;
        const reqs = scoreRequests(j.targets!, j.predictions!);
        for (const w of ["policy", "ema"] as const) post(system, "learner", { ...reqs[w], id: requestId(j.targets!, w) });
      },
      markPending: assign(({ context, event }) => {
        const group = groupOf(context, event);
        const t = context.groups[group]!.targets!;
        return { pending: { ...context.pending, [requestId(t, "policy")]: { group, weights: "policy" }, [requestId(t, "ema")]: { group, weights: "ema" } } };
      }),
      sendScored: ({ context, event, system }) => {
        const j = context.groups[groupOf(context, event)]!;
        const scored = j.targets!.items.length === 0 ? { type: "scored" as const, step: j.targets!.step, passage: j.targets!.group, groups: [] } : rlpScored(j as Required<Join>);
        post(system, "learner", { ...scored, id: messageId(scored.step, "reward", "scored", scored.passage) });
      },
      forget: assign(({ context, event }) => {
        const group = groupOf(context, event);
        const { [group]: _done, ...groups } = context.groups;
        const pending = event.type === "logprob.response" ? Object.fromEntries(Object.entries(context.pending).filter(([, p]) => p.group !== group)) : context.pending;
        return { groups, pending };
      }),
    },
    guards: {
      // Checked before the event is stored.
      completesEmptyJoin: ({ context, event }) => {
        const j = joined(context, event);
        return j.targets !== undefined && j.predictions !== undefined && j.targets.items.length === 0;
      },
      completesJoin: ({ context, event }) => {
        const j = joined(context, event);
        return j.targets !== undefined && j.predictions !== undefined;
      },
      completesScores: ({ context, event }) => {
        assertEvent(event, "logprob.response");
        const j = joined(context, event);
        return j.policy !== undefined && j.ema !== undefined;
      },
    },
  }).createMachine({
    id: "rlp-reward",
    context: { groups: {}, pending: {} },
    on: {
      targets: [
        { guard: "completesEmptyJoin", actions: ["store", "sendScored", "forget"] },
        { guard: "completesJoin", actions: ["store", "requestScores", "markPending"] },
        { actions: "store" },
      ],
      predictions: [
        { guard: "completesEmptyJoin", actions: ["store", "sendScored", "forget"] },
        { guard: "completesJoin", actions: ["store", "requestScores", "markPending"] },
        { actions: "store" },
      ],
      "logprob.response": [{ guard: "completesScores", actions: ["store", "sendScored", "forget"] }, { actions: "store" }],
    },
  });
}
