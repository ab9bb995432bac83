// Python source for pretraining: the .py files of CPython's standard library, read out of the
// `pyodide` npm package's python_stdlib.zip (already a dependency: the sandbox runs it), so the
// repository ships no Python text and needs no new package. A zip is read through its central
// directory; entries are stored (method 0) or deflated (method 8, raw DEFLATE).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";

/** Where the sandbox's pyodide keeps its standard library. */
export const PYODIDE_STDLIB_ZIP = join(import.meta.dir, "../../node_modules/pyodide/python_stdlib.zip");

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

/** The central directory's entries, in stored order. Zip64 archives are refused. */
export function zipEntries(zip: Uint8Array): ZipEntry[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip file: no end-of-central-directory record");
  const count = v.getUint16(eocd + 10, true);
  let at = v.getUint32(eocd + 16, true);
  if (count === 0xffff || at === 0xffffffff) throw new Error("zip64 archives are not supported");
  const dec = new TextDecoder();
  const out: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (v.getUint32(at, true) !== CEN_SIG) throw new Error(`corrupt zip: central directory entry ${k} has a bad signature`);
    const nameLen = v.getUint16(at + 28, true);
    const extraLen = v.getUint16(at + 30, true);
    const commentLen = v.getUint16(at + 32, true);
    out.push({
      method: v.getUint16(at + 10, true),
      compressedSize: v.getUint32(at + 20, true),
      size: v.getUint32(at + 24, true),
      localOffset: v.getUint32(at + 42, true),
      name: dec.decode(zip.subarray(at + 46, at + 46 + nameLen)),
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** One entry's bytes. */
export function zipRead(zip: Uint8Array, e: ZipEntry): Uint8Array {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (v.getUint32(e.localOffset, true) !== LOC_SIG) throw new Error(`corrupt zip: ${e.name} has a bad local header`);
  const start = e.localOffset + 30 + v.getUint16(e.localOffset + 26, true) + v.getUint16(e.localOffset + 28, true);
  const raw = zip.subarray(start, start + e.compressedSize);
  if (e.method === 0) return raw;
  if (e.method === 8) return new Uint8Array(inflateRawSync(raw));
  throw new Error(`zip entry ${e.name} uses compression method ${e.method}; accepted: 0 (stored), 8 (deflate)`);
}

/** The .py files of the zip as path → UTF-8 text, in stored order (undecodable files skipped). */
export function readPythonFiles(zipPath: string = PYODIDE_STDLIB_ZIP): Map<string, string> {
  const zip = new Uint8Array(readFileSync(zipPath));
  const dec = new TextDecoder("utf-8", { fatal: true });
  const files = new Map<string, string>();
  for (const e of zipEntries(zip)) {
    if (!e.name.endsWith(".py")) continue;
    try {
      files.set(e.name, dec.decode(zipRead(zip, e)));
    } catch {
      // A few test fixtures are deliberately not UTF-8; they teach nothing.
    }
  }
  return files;
}

/**
 * Source cut into documents of at most `maxChars`, at blank lines between top-level blocks where
 * possible, so a chunk starts at a statement a model could start from. Whitespace-only chunks are dropped.
 */
export function pythonChunks(source: string, maxChars: number): string[] {
  const blocks = source.replace(/\r\n/g, "\n").split(/\n(?=\S)/);
  const out: string[] = [];
  let cur = "";
  const flush = () => {
    if (cur.trim() !== "") out.push(cur.replace(/\s+$/, ""));
    cur = "";
  };
  for (const b of blocks) {
    if (cur.length + b.length + 1 > maxChars) flush();
    if (b.length > maxChars) {
      // One long block (a big class): cut at line ends.
      for (const line of b.split("\n")) {
        if (cur.length + line.length + 1 > maxChars) flush();
        cur += (cur ? "\n" : "") + line.slice(0, maxChars);
      }
      continue;
    }
    cur += (cur ? "\n" : "") + b;
  }
  flush();
  return out;
}
