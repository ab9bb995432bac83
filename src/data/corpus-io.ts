// Byte-level plumbing for corpus readers: chunked file reads, transparent bzip2/gzip
// decompression, and strict UTF-8 decoding that turns binary files and other encodings into
// one-line errors instead of mojibake passages.

import { createReadStream } from "node:fs";
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { decodeBzip2, type ResolvedBz2 } from "./bzip2.ts";

/** Bad corpus input: one line, exit code 2 (the CLI layer reports any error carrying `exitCode`). */
export class CorpusError extends Error {
  override name = "CorpusError";
  readonly exitCode = 2;
}

export type Compression = "none" | "bzip2" | "gzip";

/** Compression from magic bytes, whatever the file is called. */
export function sniffCompression(head: Uint8Array): Compression {
  // "BZh" + block size digit 1..9.
  if (head.length >= 4 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3]! >= 0x31 && head[3]! <= 0x39) return "bzip2";
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  return "none";
}

export function isParquet(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31;
}

/** Reads a file in chunks, calling onBytes with each chunk's size (for progress on compressed input). */
export async function* fileChunks(path: string, onBytes: (n: number) => void, chunkSize = 1 << 18): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: chunkSize });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      onBytes(chunk.length);
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    }
  } finally {
    stream.destroy();
  }
}

/** A source whose first chunk can be looked at before the whole is consumed. */
export async function peek(src: AsyncIterable<Uint8Array>): Promise<{ head: Uint8Array; rest: AsyncIterable<Uint8Array> }> {
  const it = src[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? new Uint8Array(0) : first.value;
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      if (head.length > 0) yield head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      await it.return?.();
    }
  }
  return { head, rest: rest() };
}

async function* gunzip(src: AsyncIterable<Uint8Array>, where: string): AsyncGenerator<Uint8Array> {
  // pipeline() destroys every stage on a failure, so iterating the last one sees it.
  const out = pipeline(Readable.from(src), createGunzip(), () => {});
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
  } catch (e) {
    if (e instanceof CorpusError) throw e;
    throw new CorpusError(`corrupt or truncated gzip data in ${where} (${(e as Error).message}); accepted: a complete .gz file`);
  } finally {
    out.destroy();
  }
}

/** `bz2` is the decoder for bzip2 input (src/data/bzip2.ts resolves it); the library when not given. */
export function decompress(kind: Compression, src: AsyncIterable<Uint8Array>, where: string, bz2: ResolvedBz2 = { decoder: "library" }): AsyncIterable<Uint8Array> {
  if (kind === "bzip2") return decodeBzip2(bz2, src, where);
  if (kind === "gzip") return gunzip(src, where);
  return src;
}

const ACCEPTED_ENCODING = "accepted: UTF-8 text (with or without a byte order mark)";

/** Rejects byte order marks of encodings other than UTF-8 and text with NUL bytes (binary files, BOM-less UTF-16). */
export function checkTextHead(head: Uint8Array, where: string): void {
  const b = head;
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) throw new CorpusError(`unsupported encoding UTF-32LE (byte order mark) in ${where}; ${ACCEPTED_ENCODING}`);
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) throw new CorpusError(`unsupported encoding UTF-32BE (byte order mark) in ${where}; ${ACCEPTED_ENCODING}`);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) throw new CorpusError(`unsupported encoding UTF-16LE (byte order mark) in ${where}; ${ACCEPTED_ENCODING}`);
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) throw new CorpusError(`unsupported encoding UTF-16BE (byte order mark) in ${where}; ${ACCEPTED_ENCODING}`);
  const nul = b.indexOf(0);
  if (nul >= 0) {
    // ASCII text in UTF-16 without a BOM: every other byte is NUL.
    let alternating = b.length >= 8;
    for (let i = 0; i < Math.min(b.length, 64) && alternating; i += 2) if ((b[i] === 0) === (b[i + 1] === 0)) alternating = false;
    if (alternating) throw new CorpusError(`${where} looks like UTF-16 text without a byte order mark (NUL every other byte); ${ACCEPTED_ENCODING}`);
    throw new CorpusError(`${where} looks binary (NUL byte at offset ${nul}), not a text corpus; accepted: UTF-8 text, JSONL, MediaWiki XML (.xml, .xml.bz2), Parquet`);
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    if (i + n >= b.length) return -1; // cut by the chunk end: not provably invalid here
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * Strict streaming UTF-8 decoding: a BOM-marked other encoding, a NUL byte or an invalid sequence
 * is a CorpusError naming the byte offset. A UTF-8 BOM is dropped.
 */
export async function* utf8Text(src: AsyncIterable<Uint8Array>, where: string): AsyncGenerator<string> {
  const dec = new TextDecoder("utf-8", { fatal: true });
  let offset = 0;
  let first = true;
  for await (const chunk of src) {
    if (chunk.length === 0) continue;
    if (first) checkTextHead(chunk, where);
    else {
      const nul = chunk.indexOf(0);
      if (nul >= 0) throw new CorpusError(`${where} holds a NUL byte at offset ${offset + nul}: binary data, not a text corpus; ${ACCEPTED_ENCODING}`);
    }
    first = false;
    let s: string;
    try {
      s = dec.decode(chunk, { stream: true });
    } catch {
      const at = firstInvalidUtf8(chunk);
      throw new CorpusError(`invalid UTF-8 in ${where} near byte ${offset + Math.max(0, at)}; ${ACCEPTED_ENCODING}`);
    }
    offset += chunk.length;
    if (s.length > 0) yield s;
  }
  try {
    const tail = dec.decode();
    if (tail.length > 0) yield tail;
  } catch {
    throw new CorpusError(`invalid UTF-8 in ${where}: the text ends inside a multi-byte character; ${ACCEPTED_ENCODING}`);
  }
}

/** Lines of a text stream without their terminators (\n or \r\n), with 1-based numbers. */
export async function* lines(text: AsyncIterable<string>): AsyncGenerator<{ line: string; no: number }> {
  let carry = "";
  let no = 0;
  for await (const piece of text) {
    const s = carry + piece;
    let start = 0;
    for (let nl = s.indexOf("\n"); nl >= 0; nl = s.indexOf("\n", start)) {
      const end = nl > start && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { line: s.slice(start, end), no: ++no };
      start = nl + 1;
    }
    carry = s.slice(start);
  }
  if (carry.length > 0) yield { line: carry.endsWith("\r") ? carry.slice(0, -1) : carry, no: ++no };
}
