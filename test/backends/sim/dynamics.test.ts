// The adversarial game in the simulator, 60 steps per reward design, driven in-process through
// the same pure functions the actors use (sample -> mask -> predict -> score -> assemble -> train).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { factbookPassages } from "../../../src/data/factbook.ts";
import type { RewardDesign } from "../../../src/tasks/pretrainzero/rewards.ts";
import { SimBackend } from "../../../src/backends/sim/backend.ts";
import { runInProcessStep } from "../../helpers/sim-loop.ts";
import { intrinsicDifficulty } from "../../../src/backends/sim/policy.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const corpus = factbookPassages();
const STEPS = 60;
const PASSAGES = 16;

interface Row {
  acc: number;
  zeroVar: number;
  spanWords: number;
  /** Mean intrinsic difficulty of chosen spans the predictor solved at least once (the spans the generator gets credit for). */
  creditedDifficulty: number;
}

async function play(design: RewardDesign, seed: number) {
  const backend = new SimBackend({ seed, design });
  const rows: Row[] = [];
  for (let step = 0; step < STEPS; step++) {
    const passages = Array.from({ length: PASSAGES }, (_, i) => ({ key: `s${step}/p${i}`, text: corpus[(step * PASSAGES + i) % corpus.length]! }));
    const text = new Map(passages.map((p) => [p.key, p.text]));
    const r = await runInProcessStep({ backend, step, version: step, seed, design, passages, genN: 8, predN: 8 });
    const acc = new Map(r.scored.filter((g) => g.role === "predictor").map((g) => [g.key, g.acc!]));
    let d = 0;
    let n = 0;
    for (const m of r.masks) {
      if (m.span === null || !(acc.get(m.maskKey)! > 0)) continue;
      const cands = backend.candidates(text.get(m.maskKey.slice(0, m.maskKey.lastIndexOf("/")))!);
      d += intrinsicDifficulty(cands, cands.index.get(m.span)!);
      n++;
    }
    rows.push({ acc: r.stats.predAcc, zeroVar: r.stats.zeroVarFrac, spanWords: r.stats.spanWords, creditedDifficulty: d / n });
  }
  const late = (k: keyof Row) => rows.slice(STEPS - 10).reduce((s, r) => s + r[k], 0) / 10;
  return { backend, first: rows[0]!, late };
}

describe("simulated PretrainZero dynamics over 60 steps", () => {
  test("minmax: predictor accuracy rises, credited spans get harder, fewer zero-variance groups", async () => {
    const { first, late } = await play("minmax", 1);
    expect(late("acc")).toBeGreaterThan(first.acc + 0.1);
    expect(late("creditedDifficulty")).toBeGreaterThan(first.creditedDifficulty + 0.5);
    expect(late("zeroVar")).toBeLessThan(first.zeroVar - 0.1);
  });

  test("plain: the generator drifts to unsolvable spans and zero-variance groups pile up", async () => {
    const { first, late } = await play("plain", 1);
    expect(late("zeroVar")).toBeGreaterThan(first.zeroVar + 0.1);
    expect(late("acc")).toBeLessThan(first.acc - 0.1);
    expect(late("spanWords")).toBeGreaterThan(first.spanWords + 0.5);
  });

  test("random: generator parameters stay exactly zero while the predictor still learns", async () => {
    const { backend, first, late } = await play("random", 1);
    expect(Array.from(backend.theta())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(late("acc")).toBeGreaterThan(first.acc + 0.1);
  });

  test("minmax credits harder spans than random masking at the end", async () => {
    const minmax = await play("minmax", 2);
    const random = await play("random", 2);
    expect(minmax.late("creditedDifficulty")).toBeGreaterThan(random.late("creditedDifficulty") + 0.3);
    expect(minmax.late("zeroVar")).toBeLessThan(random.late("zeroVar"));
  });
});
