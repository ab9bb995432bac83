// `bun run corpus --inspect PATH`: read a corpus the way a run would and report documents,
// passages, what was skipped and why, and a few sample passages.
// `bun run corpus --controlled OUT.jsonl`: write the synthetic corpus with known span classes
// (src/data/controlled/, docs/controlled-corpus.md).

import { BZ2_CHOICES, BZ2_ENV } from "../data/bzip2.ts";
import { CORPUS_FORMATS, CorpusError, describeSkipped, openCorpus, passagesFromDocuments, type CorpusStats, type Passage } from "../data/corpus.ts";
import { DEFAULT_CONTROLLED_DOCS, MAX_CONTROLLED_DOCS } from "../data/controlled/generate.ts";
import { formatControlledSummary, generateControlledCorpusFile } from "../data/controlled/write.ts";
import { DEFAULT_RUN_CONFIG } from "../runtime/config.ts";
import { bool, defineCommand, int, oneOf, optInt, optOneOf, optStr, str, UsageError, type Command } from "./args.ts";
import { CORPUS_FLAGS, pickFlags, readCorpus } from "./flags/index.ts";

const FORMATS = ["auto", ...CORPUS_FORMATS] as const;

export const corpusCommand: Command = defineCommand(
  {
    name: "corpus",
    summary: "Inspect a corpus: documents, passages, what was skipped and why, and sample passages; or write the controlled corpus.",
    usage: "bun run corpus --inspect <PATH> [flags]  |  bun run corpus --controlled <OUT.jsonl> [--seed N] [--docs N]",
    positionals: [{ name: "PATH", help: "the corpus, when --inspect is not given" }],
    flags: [
      { name: "inspect", type: "path", help: "corpus to inspect: .txt, .jsonl, .xml[.bz2], .parquet, a directory of .txt files, or 'factbook'" },
      { name: "format", type: "enum", values: FORMATS, default: "auto", help: "input format (auto: from the extension, then the content)" },
      ...pickFlags(CORPUS_FLAGS, "text-field"),
      { name: "id-field", type: "string", default: "id", help: "JSONL key or Parquet column with the document id (else the line/row number)" },
      { name: "title-field", type: "string", default: "title", help: "JSONL key or Parquet column with the title" },
      // The corpus is --inspect (or the positional), not --corpus: the rest of the group as a run reads it.
      ...pickFlags(CORPUS_FLAGS, "min-words", "max-words", "held-out"),
      { name: "seed", type: "int", min: 0, default: 0, help: "seed of the held-out split; with --controlled, the generator's seed" },
      { name: "controlled", type: "path", help: "write the synthetic corpus with known span classes to this .jsonl, and its spans to <OUT>.classes.json (never overwrites)" },
      { name: "docs", type: "int", min: 1, max: MAX_CONTROLLED_DOCS, help: `documents of the controlled corpus (default ${DEFAULT_CONTROLLED_DOCS})` },
      { name: "dedupe", type: "boolean", default: true, help: "drop exact duplicate passages" },
      { name: "prose-only", type: "boolean", default: true, help: "drop paragraphs that read as lists or tables of figures" },
      { name: "samples", type: "int", min: 0, default: 3, help: "sample passages to print" },
      { name: "max-docs", type: "int", min: 1, help: "stop after this many documents (the head of a large dump)" },
      { name: "progress", type: "boolean", default: true, help: "report reading progress on stderr for long inputs" },
      {
        name: "bz2",
        type: "enum",
        values: BZ2_CHOICES,
        help: `bzip2 decoder: auto (lbzip2 if on PATH, else bzip2, else the built-in library), or force one; default $${BZ2_ENV}, else auto. A forced binary that is missing is an error`,
      },
    ],
    examples: [
      "bun run corpus --inspect path/to/enwiki-latest-pages-articles.xml.bz2",
      "bun run corpus --inspect data.jsonl --text-field content --samples 5 --json",
      "bun run corpus --inspect factbook --min-words 30 --held-out 0.1",
      "bun run corpus --controlled /tmp/cc.jsonl --seed 0 --docs 3000",
    ],
  },
  async (args) => {
    const controlled = optStr(args, "controlled");
    if (controlled !== undefined) {
      if (optStr(args, "inspect") !== undefined || args.positionals.length > 0) throw new UsageError("--controlled writes a corpus and --inspect reads one (command corpus); pass one of them");
      const seed = int(args, "seed");
      if (seed > 0xffffffff) throw new UsageError(`--seed ${seed} is too large for the controlled corpus; accepted: 0..4294967295`);
      const summary = generateControlledCorpusFile(controlled, { seed, docs: optInt(args, "docs") ?? DEFAULT_CONTROLLED_DOCS });
      console.log(formatControlledSummary(summary));
      if (args.json) console.log(JSON.stringify({ ok: true, ...summary }));
      return 0;
    }
    if (args.given.has("docs")) throw new UsageError("--docs sizes the corpus --controlled writes (command corpus); pass --controlled OUT.jsonl too");
    const path = optStr(args, "inspect") ?? args.positionals[0];
    if (path === undefined) throw new UsageError("nothing to inspect (command corpus); pass --inspect PATH, e.g. --inspect factbook");
    const format = oneOf(args, "format", FORMATS);
    const { minWords, maxWords, heldOut, seed, textField } = readCorpus(args, { ...DEFAULT_RUN_CONFIG.corpus, path, seed: int(args, "seed") });
    const say = (s: string): void => console.log(s);
    const started = performance.now();
    const progress = bool(args, "progress") ? progressReporter(path, started) : undefined;
    const corpus = openCorpus(path, {
      format,
      textField,
      idField: str(args, "id-field"),
      titleField: str(args, "title-field"),
      ...(progress ? { onProgress: progress.update } : {}),
      ...(args.given.has("bz2") ? { bz2: optOneOf(args, "bz2", BZ2_CHOICES)! } : {}),
    });
    let split: Awaited<ReturnType<typeof passagesFromDocuments>>;
    try {
      const maxDocuments = optInt(args, "max-docs");
      split = await passagesFromDocuments(corpus, {
        minWords,
        maxWords,
        heldOutFraction: heldOut,
        seed,
        dedupe: bool(args, "dedupe"),
        proseOnly: bool(args, "prose-only"),
        ...(maxDocuments !== undefined ? { maxDocuments } : {}),
      });
    } finally {
      progress?.clear();
    }
    const c = corpus.stats;
    const p = split.stats;
    const seconds = (performance.now() - started) / 1000;
    const warnings = [...c.warnings];
    if (p.passages === 0) {
      const s = p.skipped;
      throw new CorpusError(
        `no passages in ${path}: ${p.documents} documents, ${p.paragraphs} paragraphs (${s.tooShort} under ${minWords} words, ${s.notProse} not prose, ${s.markup} with markup, ${s.duplicate} duplicates); lower --min-words or pass --no-prose-only`,
      );
    }
    if (heldOut > 0 && p.heldOut === 0) {
      warnings.push(`no passage is held out: the split is by document and none of the ${p.documents} documents fell in the held-out ${heldOut}; raise --held-out or use a corpus with more documents`);
    }

    const compressed = c.compression === "none" ? "" : `, ${c.compression} via ${c.decompressor} (${decompressionRates(c, seconds)})`;
    const size = c.totalBytes > 0 ? `, ${formatBytes(c.totalBytes)}` : " (embedded)";
    say(`${path}: ${c.format}${compressed}${size}, read in ${seconds.toFixed(1)} s${p.truncated ? ` (stopped after ${p.documents} documents: --max-docs)` : ""}`);
    const skippedDocs = describeSkipped(c);
    say(`documents: ${p.documents} of ${c.records} ${recordNoun(c)}${skippedDocs ? `; skipped ${skippedDocs}` : ""}`);
    say(
      `paragraphs: ${p.paragraphs}; skipped ${p.skipped.tooShort} too short (< ${minWords} words), ${p.skipped.notProse} not prose, ${p.skipped.markup} with leftover markup; ${p.paragraphsSplit} long ones split at sentence boundaries (> ${maxWords} words)`,
    );
    say(
      `passages: ${p.passages} (${p.train} train from ${p.documents - p.documentsHeldOut} documents, ${p.heldOut} held out from ${p.documentsHeldOut} documents); ${p.skipped.duplicate} duplicates removed; ${p.documentsWithoutPassages} documents gave none`,
    );
    say(`words per passage: min ${p.words.min}, mean ${p.words.mean.toFixed(1)}, max ${p.words.max}`);
    for (const w of warnings) console.error(`warning: ${w}`);
    const samples = pickSamples([...split.train, ...split.heldOut], int(args, "samples"));
    if (samples.length > 0) {
      say("samples:");
      samples.forEach((s, i) => {
        const head = `  [${i + 1}] ${s.title ?? s.docId} (doc ${s.docId}, ${s.text.split(" ").length} words): `;
        say(head + (s.text.length > 400 ? `${s.text.slice(0, 400)}...` : s.text));
      });
    }
    if (args.json) {
      say(
        JSON.stringify({
          ok: true,
          path,
          format: c.format,
          compression: c.compression,
          decompressor: c.decompressor ?? null,
          bytesDecompressed: c.bytesDecompressed,
          bytes: c.totalBytes,
          seconds: Math.round(seconds * 100) / 100,
          records: c.records,
          documents: p.documents,
          documentsSkipped: c.skipped,
          namespaces: c.namespaces,
          paragraphs: p.paragraphs,
          paragraphsSplit: p.paragraphsSplit,
          passages: { total: p.passages, train: p.train, heldOut: p.heldOut },
          documentsHeldOut: p.documentsHeldOut,
          documentsWithoutPassages: p.documentsWithoutPassages,
          passagesSkipped: p.skipped,
          words: p.words,
          truncated: p.truncated,
          warnings,
          samples: samples.map((s) => ({ docId: s.docId, title: s.title ?? null, text: s.text })),
        }),
      );
    }
    return 0;
  },
);

function recordNoun(c: CorpusStats): string {
  switch (c.format) {
    case "mediawiki":
      return "pages";
    case "jsonl":
      return "lines";
    case "parquet":
      return "rows";
    case "factbook":
      return "entries";
    case "txt":
      return "texts";
  }
}

/** Evenly spaced over the corpus, so that samples are not all from its first document. */
function pickSamples(all: readonly Passage[], n: number): Passage[] {
  const k = Math.min(n, all.length);
  const out: Passage[] = [];
  for (let i = 0; i < k; i++) out.push(all[Math.floor((i * all.length) / k)]!);
  return out;
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Compressed and decompressed MB/s over `seconds`, the parsing downstream included. */
function decompressionRates(s: Readonly<CorpusStats>, seconds: number): string {
  const mbs = (n: number): string => (seconds > 0 ? (n / 1e6 / seconds).toFixed(1) : "?");
  return `${mbs(s.bytesRead)} MB/s compressed, ${mbs(s.bytesDecompressed)} MB/s decompressed`;
}

/** Progress on stderr once reading takes a while: a rewritten line on a terminal, a line every 5 s otherwise. */
function progressReporter(path: string, started: number): { update: (s: Readonly<CorpusStats>) => void; clear: () => void } {
  const tty = process.stderr.isTTY === true;
  const firstAfter = tty ? 500 : 5000;
  const every = tty ? 250 : 5000;
  let last = 0;
  let shown = false;
  return {
    update(s) {
      const now = performance.now();
      if (now - started < firstAfter || now - last < every) return;
      last = now;
      const pct = s.totalBytes > 0 ? ` ${Math.min(100, (100 * s.bytesRead) / s.totalBytes).toFixed(0)}%` : "";
      const secs = (now - started) / 1000;
      const unpack = s.compression === "none" ? "" : `, ${s.decompressor} ${decompressionRates(s, secs)}`;
      const line = `reading ${path}:${pct} ${formatBytes(s.bytesRead)}, ${s.records} records, ${s.documents} documents, ${secs.toFixed(0)} s${unpack}`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else process.stderr.write(`${line}\n`);
      shown = true;
    },
    clear() {
      if (shown && tty) process.stderr.write("\r\x1b[K");
    },
  };
}

// Runnable on its own (`bun src/cli/corpus.ts --inspect PATH`) as well as through main.ts.
if (import.meta.main) process.exit(await corpusCommand.main(process.argv.slice(2)));
