// Checks a run's inputs (corpus, model folder, tokenizer, runs folder) in the main process before
// any actor starts or any run folder is made, so bad input is one line and exit 2, with nothing
// left behind. The checks read what the actors will read, but only as much as it takes to know
// the input is usable: the corpus up to its first training passage, the model's config.json,
// tokenizer.json and the safetensors headers (names, shapes, offsets against the file sizes), never
// the weights themselves.

import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { PassageStats } from "../data/corpus.ts";
import { loadDecoderConfig, type DecoderConfig } from "../model/hf-config.ts";
import { openModelWeights } from "../model/safetensors.ts";
import { TextTokenizer } from "../model/tokenizer.ts";
import type { CorpusConfig, RunConfig } from "./config.ts";
import { taskOf } from "../tasks/registry.ts";

const inputError = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });

const MODEL_ACCEPTED = "accepted: a Hugging Face Llama/Qwen3 folder (config.json, model.safetensors, tokenizer.json), e.g. fixtures/default-model";

export interface PreflightOptions {
  /** The folder run folders go into (--runs-dir): it must be a folder, or creatable as one. */
  runsDir?: string;
}

/** Throws an error with exitCode 2 and a one-line message naming the file and what is accepted. */
export async function preflightRun(config: RunConfig, opts: PreflightOptions = {}): Promise<void> {
  if (opts.runsDir !== undefined) checkRunsDir(opts.runsDir);
  if (config.backend === "model") checkModelFolder(config.model.dir, "--model");
  // Absolute Zero proposes programs; it reads no corpus.
  if (taskOf(config).usesCorpus) await checkCorpus(config.corpus);
}

/**
 * `--runs-dir`: an existing folder, or a path that can be created as one (no file in the way,
 * neither at the path nor at any existing ancestor).
 */
export function checkRunsDir(dir: string, flag = "--runs-dir"): void {
  const accepted = "accepted: a folder that holds run folders (created when missing)";
  let p = resolve(dir);
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(p);
    } catch {
      st = undefined;
    }
    if (st) {
      if (st.isDirectory()) return;
      throw inputError(p === resolve(dir) ? `${flag} ${dir} is a file; ${accepted}` : `${flag} ${dir} cannot be created: ${p} is a file; ${accepted}`);
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}

/**
 * A model folder as the learner will load it: config.json parses and is supported, tokenizer.json
 * loads and fits the vocabulary, and the safetensors header(s) hold every tensor the decoder needs,
 * with the right shapes, inside files that are not truncated. Returns the parsed config.
 */
export function checkModelFolder(dir: string, flag = "--model"): DecoderConfig {
  checkModelDir(dir, flag);
  const cfg = loadDecoderConfig(dir);
  const tokenizer = TextTokenizer.load(dir);
  if (tokenizer.vocabSize > cfg.vocabSize) {
    throw inputError(
      `${join(dir, "tokenizer.json")}: ${tokenizer.vocabSize} tokens, more than vocab_size ${cfg.vocabSize} in ${join(dir, "config.json")}; accepted: a tokenizer whose ids fit the model's embedding`,
    );
  }
  openModelWeights(dir, cfg);
  return cfg;
}

/** A folder with a config.json (what makes it a model folder at all); its contents are checked by the loaders. */
export function checkModelDir(dir: string, flag = "--model"): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    throw inputError(`${flag} ${dir}: no such folder; ${MODEL_ACCEPTED}`);
  }
  if (!st.isDirectory()) throw inputError(`${flag} ${dir} is a file, not a model folder; ${MODEL_ACCEPTED}`);
  if (!existsSync(join(dir, "config.json"))) throw inputError(`${flag} ${dir} is not a model folder (no config.json); ${MODEL_ACCEPTED}`);
}

/**
 * The corpus opens (the same reader as `corpus --inspect`) and yields at least one training
 * passage within the word bounds. Reading stops at the first document that gives one.
 */
export async function checkCorpus(c: CorpusConfig): Promise<void> {
  // Loaded here: the corpus readers (XML, Parquet) are not needed by the model checks' users.
  const { openCorpus, passagesFromDocuments } = await import("../data/corpus.ts");
  const corpus = openCorpus(c.path, { textField: c.textField });
  const total: PassageStats["skipped"] & { documents: number; paragraphs: number; passages: number; heldOut: number } = {
    documents: 0,
    paragraphs: 0,
    passages: 0,
    heldOut: 0,
    tooShort: 0,
    notProse: 0,
    markup: 0,
    duplicate: 0,
  };
  for await (const doc of corpus) {
    const { train, stats } = await passagesFromDocuments([doc], { minWords: c.minWords, maxWords: c.maxWords, heldOutFraction: c.heldOut, seed: c.seed });
    if (train.length > 0) return;
    total.documents++;
    total.paragraphs += stats.paragraphs;
    total.passages += stats.passages;
    total.heldOut += stats.heldOut;
    total.tooShort += stats.skipped.tooShort;
    total.notProse += stats.skipped.notProse;
    total.markup += stats.skipped.markup;
  }
  if (total.passages > 0) {
    throw inputError(
      `--corpus ${c.path}: all ${total.passages} passages fall in the held-out split (${total.documents} documents); accepted: a corpus with more documents, or a lower held-out share`,
    );
  }
  throw inputError(
    `--corpus ${c.path}: no passages of ${c.minWords}-${c.maxWords} words: ${total.documents} documents, ${total.paragraphs} paragraphs (${total.tooShort} under ${c.minWords} words, ${total.notProse} not prose, ${total.markup} with markup); lower --min-words, or pass a corpus of prose paragraphs`,
  );
}
