// `bun run lm-pretrain`: next-token pretraining of a small Llama-architecture model on the default
// corpus, with the project's own BPE tokenizer and engine. This is how fixtures/default-model is made;
// with --python-share, fixtures/python-model (Absolute Zero's default).

import { existsSync, readdirSync } from "node:fs";
import { loadPassages } from "../data/corpus.ts";
import { pythonChunks, readPythonFiles } from "../data/python-source.ts";
import { createPythonExecutor } from "../exec/index.ts";
import { DEFAULT_PRETRAIN, pretrain, type PretrainOptions, type PythonMix, type PythonSources } from "../model/pretrain.ts";
import { syntheticDocuments, syntheticTriplets } from "../tasks/azr/synthetic-documents.ts";
import { defineCommand, InputError, int, num, oneOf, optStr, str } from "./args.ts";
import { SPAN_FILTERS } from "../tasks/pretrainzero/span-rules.ts";
import { CORPUS_FLAGS, DEVICE_FLAGS, OPTIMISER_FLAGS, pickFlags, readCorpus, readDevice, readOptimiser, withDefaults } from "./flags/index.ts";
import { Progress } from "./progress.ts";
import { cudaUnavailableReason, DeviceUnavailableError } from "../engine/session.ts";

const D = DEFAULT_PRETRAIN;
/** About one sequence of a small model's context per standard-library chunk. */
const PYTHON_CHUNK_CHARS = 1200;

/** Synthetic AZR documents (validated in the sandbox) and standard-library chunks. */
async function pythonSources(m: PythonMix, seed: number): Promise<PythonSources> {
  const exec = createPythonExecutor({ poolSize: 2 });
  try {
    const t0 = performance.now();
    const programs = await syntheticTriplets(exec, seed, m.programs);
    const azr = syntheticDocuments(programs, seed);
    const stdlib = [...readPythonFiles().values()].flatMap((src) => pythonChunks(src, m.chunkChars));
    console.log(`python: ${programs.length}/${m.programs} synthetic programs valid (${azr.length} AZR documents, ${((performance.now() - t0) / 1000).toFixed(0)} s); ${stdlib.length} standard-library chunks`);
    return { azr, stdlib };
  } finally {
    await exec.close();
  }
}
const DTYPES = ["BF16", "F16", "F32"] as const satisfies readonly PretrainOptions["dtype"][];

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
      // Pretraining always follows a cosine schedule, one batch per step: only the rate and warm-up are flags.
      ...withDefaults(pickFlags(OPTIMISER_FLAGS, "lr", "warmup"), { lr: D.lr, warmup: D.warmup }),
      { name: "task-share", type: "number", min: 0, max: 1, default: D.taskShare, help: "share of passages also rendered as compact PretrainZero examples" },
      // Shorter passages than a run's: a small model's sequences are short. These made fixtures/default-model.
      ...withDefaults(CORPUS_FLAGS, { "min-words": 20, "max-words": 100 }),
      { name: "python-share", type: "number", min: 0, max: 1, default: 0, help: "share of the training text that is Python (synthetic Absolute Zero examples and standard-library source; 0: corpus only, as fixtures/default-model; 1: no corpus)" },
      { name: "python-programs", type: "int", min: 1, default: 3000, help: "with --python-share: synthetic programs, validated in the sandbox, each rendered as an AZR proposer and a solver example" },
      { name: "stdlib-share", type: "number", min: 0, max: 1, default: 0.3, help: "with --python-share: share of the Python text that is standard-library source (pyodide's python_stdlib.zip)" },
      { name: "example-filter", type: "enum", values: SPAN_FILTERS, default: "none", help: "rules the PretrainZero examples' spans obey: none (any 1-3 words, as the first default model), content (unique content spans on word boundaries: what --span-filter content accepts)" },
      { name: "also-corpus", type: "path", help: "a second corpus whose training passages join the first's (read with the same corpus flags), e.g. a controlled corpus from bun run corpus --controlled" },
      { name: "dtype", type: "enum", values: DTYPES, default: D.dtype, help: "storage dtype of model.safetensors" },
      { name: "seed", type: "int", min: 0, default: D.seed, help: "seed for initialization, data order and rendering" },
      ...pickFlags(DEVICE_FLAGS, "device"),
    ],
    examples: [
      "bun run lm-pretrain --out fixtures/default-model",
      "bun run lm-pretrain --out /tmp/m --steps 20 --hidden 64 --layers 2",
      "bun run lm-pretrain --out /tmp/py --python-share 0.85 --python-programs 500 --steps 50",
    ],
  },
  async (args) => {
    const out = str(args, "out");
    if (existsSync(out) && readdirSync(out).length > 0) throw new InputError(`--out ${out} is not empty; choose a new folder (nothing is overwritten)`);
    const { device } = readDevice(args);
    // Fail before the corpus and the tokenizer are built, with the message a session would give.
    const noCuda = device === "cuda" ? cudaUnavailableReason() : undefined;
    if (noCuda) throw new DeviceUnavailableError(`--device cuda: ${noCuda}`);
    const { lr, warmup } = readOptimiser(args);
    const corpus = readCorpus(args);
    const o: PretrainOptions = {
      seed: int(args, "seed"),
      vocabSize: int(args, "vocab"),
      hidden: int(args, "hidden"),
      layers: int(args, "layers"),
      heads: int(args, "heads"),
      kvHeads: int(args, "kv-heads"),
      intermediate: int(args, "intermediate"),
      seqLen: int(args, "seq-len"),
      batch: int(args, "batch"),
      steps: int(args, "steps"),
      lr,
      warmup,
      weightDecay: D.weightDecay,
      taskShare: num(args, "task-share"),
      dtype: oneOf(args, "dtype", DTYPES),
    };
    const exampleFilter = oneOf(args, "example-filter", SPAN_FILTERS);
    // Recorded only when used: the original default model's options stay as they were.
    if (exampleFilter !== "none") o.exampleFilter = exampleFilter;
    const alsoCorpus = optStr(args, "also-corpus");
    if (alsoCorpus !== undefined) o.alsoCorpus = alsoCorpus;
    const pythonShare = num(args, "python-share");
    // Only a mix is recorded: the default run's options (and pretrain.json) stay as they were.
    if (pythonShare > 0) o.python = { share: pythonShare, programs: int(args, "python-programs"), stdlibShare: num(args, "stdlib-share"), chunkChars: PYTHON_CHUNK_CHARS };
    if (o.hidden % o.heads !== 0) throw new InputError(`--hidden ${o.hidden} must be divisible by --heads ${o.heads}`);
    if (o.heads % o.kvHeads !== 0) throw new InputError(`--heads ${o.heads} must be divisible by --kv-heads ${o.kvHeads}`);
    const progress = new Progress({ total: o.steps, label: "pretrain step" });
    const { train, heldOut } = await loadPassages(corpus.path, {
      minWords: corpus.minWords,
      maxWords: corpus.maxWords,
      heldOutFraction: corpus.heldOut,
      seed: corpus.seed,
      textField: corpus.textField,
    });
    console.log(`corpus ${corpus.path}: ${train.length} training passages, ${heldOut.length} held out`);
    if (alsoCorpus !== undefined) {
      const more = await loadPassages(alsoCorpus, { minWords: corpus.minWords, maxWords: corpus.maxWords, heldOutFraction: corpus.heldOut, seed: corpus.seed, textField: corpus.textField });
      console.log(`corpus ${alsoCorpus}: ${more.train.length} training passages, ${more.heldOut.length} held out`);
      train.push(...more.train);
    }
    const python = o.python ? await pythonSources(o.python, o.seed) : undefined;
    const r = await pretrain(train.map((p) => p.text), out, o, (s) =>
      progress.update(s.step + 1, { loss: s.loss, lr: s.lr.toExponential(2), "tokens/s": Math.round(s.tokensPerS) }),
    python, device);
    progress.done();
    console.log(`wrote ${out}: ${r.params} parameters, ${r.trainTokens} training tokens in ${r.seconds.toFixed(1)} s; loss ${r.losses[0]!.toFixed(3)} -> ${r.losses.at(-1)!.toFixed(3)}`);
    if (args.json) console.log(JSON.stringify({ out, params: r.params, trainTokens: r.trainTokens, seconds: r.seconds, lossFirst: r.losses[0], lossLast: r.losses.at(-1), trainPassages: train.length, heldOutPassages: heldOut.length }));
    return 0;
  },
);
