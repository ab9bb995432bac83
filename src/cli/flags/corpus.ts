// The corpus group: where a command's paragraphs come from and how they are cut into passages.

import { DEFAULT_RUN_CONFIG, type CorpusConfig } from "../../runtime/config.ts";
import { InputError, type FlagSpec, type ParsedArgs } from "../args.ts";
import { groupInt, groupNum, groupStr } from "./group.ts";

const D = DEFAULT_RUN_CONFIG.corpus;

export const CORPUS_FLAGS: readonly FlagSpec[] = [
  // A string, not a path: "factbook" names the embedded corpus and must not resolve against a --config file's folder.
  { name: "corpus", type: "string", default: D.path, help: "corpus file or folder (txt, jsonl, MediaWiki .xml[.bz2], parquet) or factbook" },
  { name: "min-words", type: "int", min: 1, default: D.minWords, help: "shortest passage in words (shorter paragraphs are dropped)" },
  { name: "max-words", type: "int", min: 2, default: D.maxWords, help: "longest passage in words (longer paragraphs are split at sentence boundaries)" },
  { name: "text-field", type: "string", default: D.textField, help: "JSONL key or Parquet column holding the text (dotted paths reach nested JSON)" },
  // Below 1: a split that holds every document out leaves nothing to train on.
  { name: "held-out", type: "number", min: 0, max: 0.9, default: D.heldOut, help: "share of documents held out from training (the eval split)" },
];

/**
 * The corpus configuration from the corpus flags; unset or undeclared flags keep `base`'s value
 * (the held-out split's seed always does: commands name their own --seed).
 */
export function readCorpus(args: ParsedArgs, base: CorpusConfig = D): CorpusConfig {
  const c: CorpusConfig = {
    path: groupStr(args, "corpus") ?? base.path,
    minWords: groupInt(args, "min-words") ?? base.minWords,
    maxWords: groupInt(args, "max-words") ?? base.maxWords,
    heldOut: groupNum(args, "held-out") ?? base.heldOut,
    seed: base.seed,
    textField: groupStr(args, "text-field") ?? base.textField,
  };
  if (c.path.trim() === "") throw new InputError("--corpus is empty; accepted: a corpus file or folder, or factbook");
  if (c.textField.trim() === "") throw new InputError('--text-field is empty; accepted: a JSONL key or Parquet column, e.g. "text"');
  if (c.minWords > c.maxWords) throw new InputError(`--min-words ${c.minWords} is above --max-words ${c.maxWords}; it must be at most --max-words`);
  return c;
}
