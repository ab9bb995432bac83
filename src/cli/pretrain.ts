// `bun run lm-pretrain`: next-token pretraining of a small Llama-architecture model on the default
// corpus, with the project's own BPE tokenizer and engine. This is how fixtures/default-model is made.

import { existsSync, readdirSync } from "node:fs";
import { loadPassages } from "../data/corpus.ts";
import { DEFAULT_PRETRAIN, pretrain, type PretrainOptions } from "../model/pretrain.ts";
import { defineCommand, InputError } from "./args.ts";
import { Progress } from "./progress.ts";

const D = DEFAULT_PRETRAIN;

export const pretrainCommand = defineCommand(
  {
    name: "lm-pretrain",
    summary: "Pretrain a small Llama-architecture model (next-token loss) on the embedded Factbook corpus and write a Hugging Face folder.",
    flags: [
      { name: "out", type: "path", required: true, help: "output folder (config.json, model.safetensors, tokenizer.json); must be empty or absent" },
      { name: "steps", type: "int", min: 1, default: D.steps, help: "optimizer steps" },
      { name: "batch", type: "int", min: 1, default: D.batch, help: "sequences per step" },
      { name: "seq-len", type: "int", min: 8, default: D.seqLen, help: "tokens per sequence" },
      { name: "hidden", type: "int", min: 16, default: D.hidden, help: "hidden size" },
      { name: "layers", type: "int", min: 1, default: D.layers, help: "decoder layers" },
      { name: "heads", type: "int", min: 1, default: D.heads, help: "attention heads" },
      { name: "kv-heads", type: "int", min: 1, default: D.kvHeads, help: "key/value heads (grouped-query attention)" },
      { name: "intermediate", type: "int", min: 16, default: D.intermediate, help: "SwiGLU hidden size" },
      { name: "vocab", type: "int", min: 300, default: D.vocabSize, help: "BPE vocabulary size (trained here)" },
      { name: "lr", type: "number", min: 0, default: D.lr, help: "peak learning rate (cosine schedule)" },
      { name: "warmup", type: "int", min: 0, default: D.warmup, help: "warm-up steps" },
      { name: "task-share", type: "number", min: 0, max: 1, default: D.taskShare, help: "share of passages also rendered as compact PretrainZero examples" },
      { name: "corpus", type: "string", default: "factbook", help: "corpus file or folder (txt, jsonl, MediaWiki .xml[.bz2], parquet) or factbook" },
      { name: "min-words", type: "int", min: 1, default: 20, help: "shortest passage, in words" },
      { name: "max-words", type: "int", min: 2, default: 100, help: "longest passage, in words (longer paragraphs are split)" },
      { name: "held-out", type: "number", min: 0, max: 0.9, default: 0.05, help: "share of documents held out from training (the eval split)" },
      { name: "dtype", type: "enum", values: ["BF16", "F16", "F32"], default: D.dtype, help: "storage dtype of model.safetensors" },
      { name: "seed", type: "int", min: 0, default: D.seed, help: "seed for initialization, data order and rendering" },
    ],
    examples: ["bun run lm-pretrain --out fixtures/default-model", "bun run lm-pretrain --out /tmp/m --steps 20 --hidden 64 --layers 2"],
  },
  async (args) => {
    const f = args.flags;
    const out = f.out as string;
    if (existsSync(out) && readdirSync(out).length > 0) throw new InputError(`--out ${out} is not empty; choose a new folder (nothing is overwritten)`);
    const o: PretrainOptions = {
      seed: f.seed as number,
      vocabSize: f.vocab as number,
      hidden: f.hidden as number,
      layers: f.layers as number,
      heads: f.heads as number,
      kvHeads: f["kv-heads"] as number,
      intermediate: f.intermediate as number,
      seqLen: f["seq-len"] as number,
      batch: f.batch as number,
      steps: f.steps as number,
      lr: f.lr as number,
      warmup: f.warmup as number,
      weightDecay: D.weightDecay,
      taskShare: f["task-share"] as number,
      dtype: f.dtype as PretrainOptions["dtype"],
    };
    if (o.hidden % o.heads !== 0) throw new InputError(`--hidden ${o.hidden} must be divisible by --heads ${o.heads}`);
    if (o.heads % o.kvHeads !== 0) throw new InputError(`--heads ${o.heads} must be divisible by --kv-heads ${o.kvHeads}`);
    const progress = new Progress({ total: o.steps, label: "pretrain step" });
    const { train, heldOut } = await loadPassages(f.corpus as string, {
      minWords: f["min-words"] as number,
      maxWords: f["max-words"] as number,
      heldOutFraction: f["held-out"] as number,
      seed: 0,
    });
    console.log(`corpus ${f.corpus}: ${train.length} training passages, ${heldOut.length} held out`);
    const r = await pretrain(train.map((p) => p.text), out, o, (s) =>
      progress.update(s.step + 1, { loss: s.loss, lr: s.lr.toExponential(2), "tokens/s": Math.round(s.tokensPerS) }),
    );
    progress.done();
    console.log(`wrote ${out}: ${r.params} parameters, ${r.trainTokens} training tokens in ${r.seconds.toFixed(1)} s; loss ${r.losses[0]!.toFixed(3)} -> ${r.losses.at(-1)!.toFixed(3)}`);
    if (args.json) console.log(JSON.stringify({ out, params: r.params, trainTokens: r.trainTokens, seconds: r.seconds, lossFirst: r.losses[0], lossLast: r.losses.at(-1), trainPassages: train.length, heldOutPassages: heldOut.length }));
    return 0;
  },
);
