// The two forms of the GRPO objective (src/rl/objective.ts) agree: the ONNX graph the learner
// trains with (objective-graph.ts, gradient by the engine's autodiff) and the plain-JS reference
// (objective-js.ts, analytic gradient) get the same random inputs, row by row, and must report
// the same loss, clip fraction, token count, KL and d loss / d logprobs to 1e-6 relative.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Graph } from "../../src/engine/graph.ts";
import { ParamLayout } from "../../src/engine/params.ts";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";
import { TRAIN_IO, lossAndGrad } from "../../src/engine/train-step.ts";
import type { ObjectiveHyper, ObjectiveInputs } from "../../src/rl/objective.ts";
import { GRPO_IO, grpoObjectiveGraph, objectiveFeeds, objectiveInputs, outputObjectiveStats } from "../../src/rl/objective-graph.ts";
import { type ObjectiveResult, grpoObjectiveJs } from "../../src/rl/objective-js.ts";
import { seededUniform } from "../engine/grad-check.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const B = 3;
const T = 7; // per-token grid [B, T]
const N = B * T;
const TOL = 1e-6;

type Inputs = ObjectiveInputs<Float64Array>;
interface Row {
  readonly name: string;
  readonly inputs: Inputs;
  readonly hp: ObjectiveHyper;
  /** What makes the row the case it is named after, checked on the JS result. */
  readonly is: (r: ObjectiveResult) => boolean;
}

/** Random inputs; `ratio` draws log(current / behaviour) and `adv` the advantage of each token. */
function inputs(seed: number, o: { ratio: [number, number]; adv: [number, number]; masked?: number }): Inputs {
  // One stream per row, cut in five: neighbouring xorshift seeds start out correlated.
  const stream = seededUniform(seed * 7919, 5 * N, 0, 1);
  const u = (k: number, lo: number, hi: number) => stream.subarray((k - 1) * N, k * N).map((x) => lo + x * (hi - lo));
  const behaviour = u(1, -4, -0.05);
  const logRatio = u(2, ...o.ratio);
  const logprobs = behaviour.map((b, i) => b + logRatio[i]!);
  const advantages = u(3, ...o.adv);
  const reference = logprobs.map((l, i) => l + u(4, -0.8, 0.8)[i]!);
  const drop = u(5, 0, 1);
  const lossMask = drop.map((d) => (d < (o.masked ?? 0.25) ? 0 : 1));
  return { logprobs, behaviour, advantages, lossMask, reference };
}

/**
 * `x` with its masked tokens made like the learner's prompt and padding positions at their worst:
 * behaviour and reference 0 (what the trainer feeds there) under log-probs of -1000, so
 * exp(reference - logp) overflows even float64; every third one instead has behaviour -1000 under
 * log-prob -1, so exp(logp - behaviour) does. Outside the mask nothing may notice.
 */
function withHostileMasked(x: Inputs): Inputs {
  const logprobs = x.logprobs.slice();
  const behaviour = x.behaviour.slice();
  const reference = x.reference.slice();
  let k = 0;
  for (let i = 0; i < N; i++) {
    if (x.lossMask[i] !== 0) continue;
    const ratio = k++ % 3 === 2;
    logprobs[i] = ratio ? -1 : -1000;
    behaviour[i] = ratio ? -1000 : 0;
    reference[i] = 0;
  }
  return { ...x, logprobs, behaviour, reference };
}

const DAPO = { epsLow: 0.2, epsHigh: 0.28 };
const ROWS: Row[] = [
  {
    name: "mixed ratios and advantages, both clips active, KL off",
    inputs: inputs(1, { ratio: [-0.6, 0.6], adv: [-2, 2] }),
    hp: { ...DAPO, klCoef: 0 },
    is: (r) => r.clipFrac > 0.1 && r.clipFrac < 0.9,
  },
  {
    name: "clipped above: positive advantages, ratios over 1 + epsHigh",
    inputs: inputs(2, { ratio: [Math.log(1.3), Math.log(2)], adv: [0.1, 2] }),
    hp: { ...DAPO, klCoef: 0 },
    is: (r) => r.clipFrac === 1 && r.grads.every((g) => g === 0),
  },
  {
    name: "clipped below: negative advantages, ratios under 1 - epsLow",
    inputs: inputs(3, { ratio: [Math.log(0.4), Math.log(0.79)], adv: [-2, -0.1] }),
    hp: { ...DAPO, klCoef: 0 },
    is: (r) => r.clipFrac === 1 && r.grads.every((g) => g === 0),
  },
  {
    name: "zero advantage: only the KL term is left",
    inputs: inputs(4, { ratio: [-0.6, 0.6], adv: [0, 0] }),
    hp: { ...DAPO, klCoef: 0.4 },
    is: (r) => r.clipFrac === 0 && r.kl > 0 && Math.abs(r.loss - 0.4 * r.kl) < 1e-12,
  },
  {
    name: "KL on, mixed clips",
    inputs: inputs(5, { ratio: [-0.6, 0.6], adv: [-2, 2] }),
    hp: { ...DAPO, klCoef: 0.7 },
    is: (r) => r.clipFrac > 0.1 && r.clipFrac < 0.9 && r.kl > 0.01,
  },
  {
    name: "wide asymmetric range, small KL weight",
    inputs: inputs(6, { ratio: [-1, 1], adv: [-1, 1], masked: 0.5 }),
    hp: { epsLow: 0.1, epsHigh: 0.5, klCoef: 0.05 },
    is: (r) => r.clipFrac > 0 && r.tokens < N,
  },
  {
    name: "masked tokens whose exponents overflow (log-prob -1000 under reference 0): finite, as if absent",
    inputs: withHostileMasked(inputs(8, { ratio: [-0.6, 0.6], adv: [-2, 2], masked: 0.4 })),
    hp: { ...DAPO, klCoef: 0.7 },
    is: (r) => r.tokens > 0 && r.tokens < N - 2 && r.clipFrac > 0 && r.kl > 0.01,
  },
  {
    name: "empty mask: zeros, not NaN",
    inputs: inputs(7, { ratio: [-0.6, 0.6], adv: [-2, 2], masked: 2 }),
    hp: { ...DAPO, klCoef: 0.7 },
    is: (r) => r.tokens === 0 && r.loss === 0,
  },
];

let session: EngineSession;

beforeAll(async () => {
  // The log-probs are the graph's only "parameter", so the engine's lossAndGrad yields d loss / d logprobs.
  const layout = new ParamLayout([{ name: "logp", shape: [B, T] }]);
  const g = new Graph("objective_agreement");
  const { loss, grad } = lossAndGrad(
    g,
    layout,
    (gg, params) => {
      const s = grpoObjectiveGraph(params.logp, objectiveInputs(gg, "float64", [B, T]));
      outputObjectiveStats(gg, s);
      return s.loss;
    },
    "float64",
  );
  g.output(loss, TRAIN_IO.loss);
  g.output(grad, TRAIN_IO.grad);
  session = await EngineSession.create(g, { deterministic: true, optimization: "basic" });
});

afterAll(async () => {
  await session.release();
});

async function graphForm(x: Inputs, hp: ObjectiveHyper): Promise<ObjectiveResult> {
  const out = await session.run({ ...objectiveFeeds("float64", [B, T], x, hp), [TRAIN_IO.params]: hostTensor("float64", [N], x.logprobs) });
  const num = (k: string) => Number(out[k]!.data[0]);
  return { loss: num(TRAIN_IO.loss), clipFrac: num(GRPO_IO.clipFrac), tokens: num(GRPO_IO.tokens), kl: num(GRPO_IO.kl), grads: out[TRAIN_IO.grad]!.data as Float64Array };
}

/** Worst relative disagreement over every reported quantity, and where. */
function disagreement(a: ObjectiveResult, b: ObjectiveResult): { worst: number; at: string } {
  let worst = 0;
  let at = "";
  const see = (what: string, x: number, y: number) => {
    const e = Number.isNaN(x) || Number.isNaN(y) ? Infinity : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-12);
    if (x !== y && e > worst) [worst, at] = [e, `${what}: ${x} vs ${y}`];
  };
  for (const k of ["loss", "clipFrac", "tokens", "kl"] as const) see(k, a[k], b[k]);
  for (let i = 0; i < N; i++) see(`grad[${i}]`, a.grads[i]!, b.grads[i]!);
  return { worst, at };
}

describe("the graph and JS forms of the GRPO objective agree", () => {
  for (const row of ROWS) {
    test(row.name, async () => {
      const js = grpoObjectiveJs(row.inputs, row.hp);
      expect(row.is(js)).toBe(true);
      const d = disagreement(await graphForm(row.inputs, row.hp), js);
      if (d.worst > TOL) throw new Error(`${row.name}: relative disagreement ${d.worst.toExponential(2)} at ${d.at}`);
    });
  }

  // The comparison must be able to fail: a reference with a wrong clip bound or KL weight is caught.
  const mutants: [string, (hp: ObjectiveHyper) => ObjectiveHyper, string][] = [
    ["symmetric clip (epsHigh = epsLow)", (hp) => ({ ...hp, epsHigh: hp.epsLow }), "mixed ratios and advantages, both clips active, KL off"],
    ["swapped clip bounds", (hp) => ({ ...hp, epsLow: hp.epsHigh, epsHigh: hp.epsLow }), "clipped below: negative advantages, ratios under 1 - epsLow"],
    ["KL weight doubled", (hp) => ({ ...hp, klCoef: 2 * (hp.klCoef ?? 0) }), "KL on, mixed clips"],
  ];
  for (const [what, mutate, rowName] of mutants) {
    test(`a JS form with ${what} disagrees`, async () => {
      const row = ROWS.find((r) => r.name === rowName)!;
      const d = disagreement(await graphForm(row.inputs, row.hp), grpoObjectiveJs(row.inputs, mutate(row.hp)));
      expect(d.worst).toBeGreaterThan(1e-3);
    });
  }
});
