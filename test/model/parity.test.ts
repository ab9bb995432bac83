import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EngineSession, hostTensor } from "../../src/engine/session.ts";
import { frozenBinding } from "../../src/model/decoder.ts";
import { loadDecoderConfig } from "../../src/model/hf-config.ts";
import { LM_IO, LogprobScorer, buildLogprobGraph } from "../../src/model/logprobs.ts";
import { openModelWeights } from "../../src/model/safetensors.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

interface Expected {
  pad_id: number;
  sequences: { ids: number[]; token_logprobs: number[]; last_logprobs: number[] }[];
  batches: Record<"left" | "right", { input_ids: number[][]; attention_mask: number[][]; position_ids: number[][] }>;
}

const root = join(import.meta.dir, "../../fixtures");

describe("parity with the torch reference (fixtures/*/expected.json)", () => {
  for (const name of ["tiny-qwen3", "tiny-llama"]) {
    const dir = join(root, name);
    test(`${name}: sequence and last-position log-probs within 1e-4 (fp32)`, async () => {
      const cfg = loadDecoderConfig(dir);
      const weights = openModelWeights(dir, cfg).readAllF32();
      const exp = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
      const scorer = new LogprobScorer(cfg, frozenBinding(cfg, weights, "initializer"), { deterministic: true });
      const res = await scorer.score(exp.sequences.map((s) => s.ids), { lastLogp: true });
      let err = 0;
      exp.sequences.forEach((s, i) => {
        expect(res[i].logprobs.length).toBe(s.token_logprobs.length);
        s.token_logprobs.forEach((v, t) => (err = Math.max(err, Math.abs(res[i].logprobs[t] - v))));
        s.last_logprobs.forEach((v, t) => (err = Math.max(err, Math.abs(res[i].lastLogp![t] - v))));
      });
      console.log(`${name}: max abs err ${err.toExponential(2)} over ${exp.sequences.length} sequences`);
      expect(err).toBeLessThan(1e-4);
      await scorer.release();
    });

    test(`${name}: left- and right-padded batches with explicit positions give the lone-sequence values`, async () => {
      const cfg = loadDecoderConfig(dir);
      const weights = openModelWeights(dir, cfg).readAllF32();
      const exp = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
      let err = 0;
      for (const side of ["left", "right"] as const) {
        const b = exp.batches[side];
        const B = b.input_ids.length;
        const T = b.input_ids[0].length;
        const session = await EngineSession.create(buildLogprobGraph(cfg, frozenBinding(cfg, weights, "initializer"), { batch: B, length: T }), { deterministic: true });
        const flat = (m: number[][]) => hostTensor("int64", [B, T], BigInt64Array.from(m.flat().map(BigInt)));
        const out = await session.run({ [LM_IO.ids]: flat(b.input_ids), [LM_IO.mask]: flat(b.attention_mask), [LM_IO.positions]: flat(b.position_ids) });
        const lp = out[LM_IO.logprobs].data as Float32Array;
        for (let r = 0; r < B; r++) {
          const want = exp.sequences[r].token_logprobs;
          const first = b.attention_mask[r].indexOf(1);
          for (let k = 0; k < want.length; k++) err = Math.max(err, Math.abs(lp[r * (T - 1) + first + k] - want[k]));
        }
        await session.release();
      }
      console.log(`${name}: padded batches max abs err ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-4);
    });
  }
});
