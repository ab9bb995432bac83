import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParamLayout } from "../../src/engine/params.ts";
import { decoderParamSpecs } from "../../src/model/decoder.ts";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import type { TrainSequence } from "../../src/model/lm-trainer.ts";
import { type LoadModelOptions, loadModel } from "../../src/model/model.ts";
import { actorStateOf, readCheckpoint, writeCheckpoint } from "../../src/runtime/checkpoint.ts";
import type { TensorState } from "../../src/runtime/actor-state.ts";

// ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(120_000);

const dir = join(import.meta.dir, "../../fixtures/tiny-llama");
const tmp = mkdtempSync(join(tmpdir(), "spz-groups-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small group size that splits tiny-llama into several flat buffers (its largest tensor fits one). */
const SMALL = (() => {
  const specs = decoderParamSpecs(loadDecoderConfig(dir));
  return Math.max(...specs.map((s) => s.shape.reduce((a, b) => a * b, 1))) + 7;
})();

function batch(vocab: number, k: number): TrainSequence[] {
  const seq = (n: number, a: number) => Array.from({ length: n }, (_, i) => (i * 7 + a * 13 + k * 5 + 3) % vocab);
  return [0, 1, 2].map((a) => {
    const ids = seq(10 + a, a);
    return { ids, completionStart: 4, advantage: a - 1, behaviourLogprobs: Array.from({ length: ids.length - 4 }, (_, t) => -2 - 0.1 * t) };
  });
}

async function train(opts: LoadModelOptions, steps = 3) {
  const m = loadModel(dir, { deterministic: true, ...opts });
  const losses: number[] = [];
  const norms: number[] = [];
  for (let k = 0; k < steps; k++) {
    const r = await m.trainStep(batch(m.config.vocabSize, k), { lr: 1e-2, epsLow: 0.2, epsHigh: 0.28 });
    losses.push(r.loss);
    norms.push(r.gradNorm);
  }
  return { m, losses, norms };
}

/** All group buffers end to end, as one array (small model only). */
const joined = (groups: readonly (Float32Array | Float64Array)[]) => Float32Array.from(groups.flatMap((g) => Array.from(g)));

test("the layout splits into groups no larger than maxGroup, decayed tensors first, each tensor whole", () => {
  const specs = decoderParamSpecs(loadDecoderConfig(dir));
  const one = new ParamLayout(specs);
  const many = new ParamLayout(specs, SMALL);
  expect(one.groups.length).toBe(1);
  expect(many.groups.length).toBeGreaterThan(2);
  expect(many.total).toBe(one.total);
  expect(many.decayed).toBe(one.decayed);
  for (const g of many.groups) expect(g.total).toBeLessThanOrEqual(SMALL);
  // Same order of tensors; each group's decayed prefix holds exactly its decayed tensors.
  expect(many.slots.map((s) => s.spec.name)).toEqual(one.slots.map((s) => s.spec.name));
  many.groups.forEach((g, i) => {
    const decayed = many.slots.filter((s) => s.group === i && s.spec.decay !== false).reduce((n, s) => n + s.size, 0);
    expect(g.decayed).toBe(decayed);
  });
});

test("without clipping, full fine-tuning over several groups gives bit-identical losses, parameters, digests and log-probs", async () => {
  const optimizer = { kind: "adamw", weightDecay: 0.1 } as const;
  const a = await train({ optimizer });
  const b = await train({ optimizer, maxGroup: SMALL });
  expect(b.m.parameters().length).toBeGreaterThan(2);
  expect(b.losses).toEqual(a.losses);
  expect(joined(b.m.parameters())).toEqual(joined(a.m.parameters()));
  // The digest hashes the groups' bytes in order: the same for any grouping.
  expect(b.m.digest()).toBe(a.m.digest());
  // Inference over the grouped buffers scores as the single buffer does.
  const seqs = batch(a.m.config.vocabSize, 9).map((s) => s.ids);
  expect((await b.m.logprobs(seqs)).map((r) => Array.from(r.logprobs))).toEqual((await a.m.logprobs(seqs)).map((r) => Array.from(r.logprobs)));
  await a.m.release();
  await b.m.release();
});

test("with global-norm clipping the grouped norm sums per group, so values agree to float rounding", async () => {
  const optimizer = { kind: "adamw", weightDecay: 0.1, clipNorm: 0.001 } as const;
  const a = await train({ optimizer });
  const b = await train({ optimizer, maxGroup: SMALL });
  for (let k = 0; k < a.norms.length; k++) {
    expect(a.norms[k]!).toBeGreaterThan(0.001); // clipping is active
    expect(Math.abs(b.norms[k]! - a.norms[k]!) / a.norms[k]!).toBeLessThan(1e-5);
    expect(Math.abs(b.losses[k]! - a.losses[k]!)).toBeLessThan(1e-5);
  }
  const pa = joined(a.m.parameters());
  const pb = joined(b.m.parameters());
  let worst = 0;
  for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i]! - pb[i]!));
  expect(worst).toBeLessThan(1e-5); // a thousandth of one step of lr 1e-2
  await a.m.release();
  await b.m.release();
});

test("a grouped model's checkpoint (safetensors per file) restores and continues exactly like the uninterrupted model", async () => {
  const optimizer = { kind: "adamw", weightDecay: 0.1, clipNorm: 1 } as const;
  const a = await train({ optimizer, maxGroup: SMALL }, 2);
  const snap = a.m.snapshot();
  const path = writeCheckpoint(join(tmp, "ck"), 2, { "learner/state.msgpack": snap.meta, ...Object.fromEntries(Object.entries(snap.files).map(([f, t]) => [`learner/${f}`, t])) });
  const back = actorStateOf(readCheckpoint(path), "learner") as TensorState;
  expect(Object.keys(back.files).sort()).toEqual(["adam_m.safetensors", "adam_v.safetensors", "params.safetensors"]);
  const b = loadModel(dir, { deterministic: true, optimizer, maxGroup: SMALL });
  b.restore(back);
  expect(b.digest()).toBe(a.m.digest());
  // The read-back buffers are packed as the writer's groups, so restore takes them without a copy.
  expect(b.parameters().map((p) => p.length)).toEqual(a.m.parameters().map((p) => p.length));
  const next = batch(a.m.config.vocabSize, 5);
  const ra = await a.m.trainStep(next, { lr: 1e-2, epsLow: 0.2, epsHigh: 0.28 });
  const rb = await b.trainStep(next, { lr: 1e-2, epsLow: 0.2, epsHigh: 0.28 });
  expect(rb.loss).toBe(ra.loss);
  expect(rb.gradNorm).toBe(ra.gradNorm);
  expect(b.digest()).toBe(a.m.digest());
  // The same checkpoint restores into a one-group model too (tensors are named, not laid out).
  const c = loadModel(dir, { deterministic: true, optimizer });
  c.restore(back);
  expect(joined(c.parameters())).toEqual(joined(back.files["params.safetensors"]!.map((t) => t.data)));
  await a.m.release();
  await b.release();
  await c.release();
});

test("a snapshot from before safetensors checkpoints (one buffer: header, params, m, v) still restores into a one-group model", async () => {
  const optimizer = { kind: "adamw", weightDecay: 0.1, clipNorm: 1 } as const;
  const a = await train({ optimizer }, 1);
  const snap = a.m.snapshot();
  const [p, m, v] = ["params.safetensors", "adam_m.safetensors", "adam_v.safetensors"].map((f) => joined(snap.files[f]!.map((t) => t.data)));
  // The old layout, as model.ts wrote it: u32 header length, JSON header, then the three buffers.
  const header = new TextEncoder().encode(JSON.stringify({ magic: "sp0-model-snapshot-1", dtype: "float32", total: p!.length, steps: 1 }));
  const legacy = new Uint8Array(4 + header.length + 12 * p!.length);
  new DataView(legacy.buffer).setUint32(0, header.length, true);
  legacy.set(header, 4);
  [p, m, v].forEach((x, i) => legacy.set(new Uint8Array(x!.buffer), 4 + header.length + i * 4 * p!.length));
  const b = loadModel(dir, { deterministic: true, optimizer });
  b.restore(legacy);
  expect(b.digest()).toBe(a.m.digest());
  const next = batch(a.m.config.vocabSize, 4);
  expect((await b.trainStep(next, { lr: 1e-2, epsLow: 0.2, epsHigh: 0.28 })).loss).toBe((await a.m.trainStep(next, { lr: 1e-2, epsLow: 0.2, epsHigh: 0.28 })).loss);
  expect(b.digest()).toBe(a.m.digest());
  // A grouped model cannot take one buffer: the error says why, in one line.
  const c = loadModel(dir, { deterministic: true, optimizer, maxGroup: SMALL });
  expect(() => c.restore(legacy)).toThrow(/fits only a one-group model/);
  await a.m.release();
  await b.release();
  await c.release();
});
