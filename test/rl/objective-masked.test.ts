// Masked tokens of the GRPO objective's graph form (src/rl/objective-graph.ts) are out of the loss
// in float32 too, the learner's dtype: whatever their log-probs, behaviour and reference hold, the
// loss, the statistics and d loss / d logprobs are finite, bit for bit those of benign contents,
// and the gradient there is exactly 0. The learner feeds behaviour and reference 0 at prompt and
// padding positions, whose log-probs on a peaked model reach -89 and below; exp(0 - (-89))
// overflows float32, and a mask that multiplies by 0 turns that inf into NaN everywhere.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { Graph } from "../../src/engine/graph.ts";
import { ParamLayout } from "../../src/engine/params.ts";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";
import { TRAIN_IO, lossAndGrad } from "../../src/engine/train-step.ts";
import type { ObjectiveHyper, ObjectiveInputs } from "../../src/rl/objective.ts";
import { GRPO_IO, grpoObjectiveGraph, objectiveFeeds, objectiveInputs, outputObjectiveStats } from "../../src/rl/objective-graph.ts";
import { grpoObjectiveJs } from "../../src/rl/objective-js.ts";
import { seededUniform } from "../engine/grad-check.ts";

setDefaultTimeout(60_000);

const B = 2;
const T = 6;
const N = B * T;
const HP: ObjectiveHyper = { epsLow: 0.2, epsHigh: 0.28, klCoef: 0 };

let session: EngineSession;

beforeAll(async () => {
  const g = new Graph("objective_masked");
  const { loss, grad } = lossAndGrad(
    g,
    new ParamLayout([{ name: "logp", shape: [B, T] }]),
    (gg, params) => {
      const s = grpoObjectiveGraph(params.logp, objectiveInputs(gg, "float32", [B, T]));
      outputObjectiveStats(gg, s);
      return s.loss;
    },
    "float32",
  );
  g.output(loss, TRAIN_IO.loss);
  g.output(grad, TRAIN_IO.grad);
  session = await EngineSession.create(g, { deterministic: true, optimization: "basic" });
});

afterAll(async () => {
  await session.release();
});

type Inputs = ObjectiveInputs<Float32Array>;

/** Loss tokens in the middle of each row (a prompt before, padding after), as the trainer lays them out. */
function base(): Inputs {
  const u = seededUniform(4242, 3 * N, 0, 1);
  const behaviour = Float32Array.from(u.subarray(0, N), (x) => -4 + 3.9 * x);
  const logprobs = behaviour.map((b, i) => b + (u[N + i]! - 0.5));
  const advantages = Float32Array.from(u.subarray(2 * N), (x) => 4 * x - 2);
  const reference = logprobs.map((l, i) => l + 0.3 * (u[i]! - 0.5));
  const lossMask = Float32Array.from({ length: N }, (_, i) => (i % T >= 2 && i % T < 5 ? 1 : 0));
  return { logprobs, behaviour, advantages, lossMask, reference };
}

/** `x` with every masked token's log-prob, behaviour, reference and advantage set by `at`. */
function maskedAs(x: Inputs, at: (k: number) => [logp: number, beh: number, ref: number, adv: number]): Inputs {
  const y = { logprobs: x.logprobs.slice(), behaviour: x.behaviour.slice(), reference: x.reference.slice(), advantages: x.advantages.slice(), lossMask: x.lossMask };
  let k = 0;
  for (let i = 0; i < N; i++) if (x.lossMask[i] === 0) [y.logprobs[i], y.behaviour[i], y.reference[i], y.advantages[i]] = at(k++);
  return y;
}

async function run(x: Inputs, hp: ObjectiveHyper) {
  const out = await session.run({ ...objectiveFeeds("float32", [B, T], x, hp), [TRAIN_IO.params]: hostTensor("float32", [N], x.logprobs) });
  const num = (k: string) => Number(out[k]!.data[0]);
  return { loss: num(TRAIN_IO.loss), clipFrac: num(GRPO_IO.clipFrac), tokens: num(GRPO_IO.tokens), kl: num(GRPO_IO.kl), grads: Array.from(out[TRAIN_IO.grad]!.data as Float32Array) };
}

for (const klCoef of [0, 0.5]) {
  test(`klCoef ${klCoef}: masked log-probs of -100 under reference 0 (and behaviour -100 under log-prob 0) change nothing`, async () => {
    const hp = { ...HP, klCoef };
    const x = base();
    // What the trainer feeds at a prompt or padding position (behaviour, reference, advantage 0),
    // under a log-prob of -100; every other one the ratio's exponent overflows instead.
    const hostile = maskedAs(x, (k) => (k % 2 ? [-100, 0, 0, 0] : [0, -100, 0, 1]));
    const benign = maskedAs(x, () => [-1, -1, -1, 0]);
    const [h, b] = [await run(hostile, hp), await run(benign, hp)];
    for (const v of [h.loss, h.clipFrac, h.tokens, h.kl, ...h.grads]) expect(Number.isFinite(v)).toBe(true);
    expect(h).toEqual(b);
    for (let i = 0; i < N; i++) if (x.lossMask[i] === 0) expect(h.grads[i]).toBe(0);
    // And it is the objective: the JS reference (float64) agrees to float32 precision.
    const js = grpoObjectiveJs(hostile, hp);
    expect(h.tokens).toBe(js.tokens);
    expect(h.loss).toBeCloseTo(js.loss, 5);
    expect(h.kl).toBeCloseTo(js.kl, 5);
    for (let i = 0; i < N; i++) expect(h.grads[i]).toBeCloseTo(js.grads[i]!, 5);
  });
}
