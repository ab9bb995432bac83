// bzip2 decoding for corpora. Wikipedia dumps are .bz2, and the pure-JS decoder (unbzip2-stream)
// runs at about 2 MB/s of compressed input, so by default the file's bytes are piped through an
// external decompressor instead: lbzip2 (parallel, every core) or bzip2, whichever is on PATH
// first, in that order. The library stays the fallback when neither is installed.
//
// Choice: `auto` (default) | `lbzip2` | `bzip2` | `library`, from the caller (`corpus --bz2`) or
// else $SPZ_BZ2. A forced binary that is missing is a one-line error, never a silent fallback.
// Every decoder gives the same bytes, so the choice never changes a passage or a cached split.

import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import bz2 from "unbzip2-stream";
import { CorpusError } from "./corpus-io.ts";

export const BZ2_CHOICES = ["auto", "lbzip2", "bzip2", "library"] as const;
export type Bz2Choice = (typeof BZ2_CHOICES)[number];
export type Bz2Decoder = Exclude<Bz2Choice, "auto">;

/** The environment variable that picks the decoder where no flag does (runs, eval, probe). */
export const BZ2_ENV = "SPZ_BZ2";

export interface ResolvedBz2 {
  decoder: Bz2Decoder;
  /** The executable, for lbzip2 and bzip2. */
  bin?: string;
}

/** The decoder to use: the explicit choice, else $SPZ_BZ2, else auto. Throws a one-line CorpusError when a forced binary is missing. */
export function resolveBz2(choice?: Bz2Choice, env: Record<string, string | undefined> = process.env): ResolvedBz2 {
  let c = choice;
  let source = "--bz2";
  if (c === undefined) {
    const e = env[BZ2_ENV];
    if (e !== undefined && e !== "") {
      if (!(BZ2_CHOICES as readonly string[]).includes(e)) throw new CorpusError(`${BZ2_ENV}=${e} is not a bzip2 decoder; accepted: ${BZ2_CHOICES.join(", ")}`);
      c = e as Bz2Choice;
      source = BZ2_ENV;
    }
  }
  c ??= "auto";
  const which = (name: string): string | undefined => Bun.which(name, { PATH: env.PATH ?? "" }) ?? undefined;
  if (c === "library") return { decoder: "library" };
  if (c === "auto") {
    for (const name of ["lbzip2", "bzip2"] as const) {
      const bin = which(name);
      if (bin) return { decoder: name, bin };
    }
    return { decoder: "library" };
  }
  const bin = which(c);
  const how = source === "--bz2" ? `--bz2 ${c}` : `${BZ2_ENV}=${c}`;
  if (!bin) throw new CorpusError(`${how}: ${c} is not on PATH; install it (apt-get install ${c}) or use auto or library`);
  return { decoder: c, bin };
}

export function decodeBzip2(how: ResolvedBz2, src: AsyncIterable<Uint8Array>, where: string): AsyncGenerator<Uint8Array> {
  return how.decoder === "library" ? libraryBunzip2(src, where) : externalBunzip2(how.bin!, how.decoder, src, where);
}

function corrupt(where: string, why: string): CorpusError {
  return new CorpusError(`corrupt or truncated bzip2 data in ${where} (${why.replace(/\s+/g, " ").trim()}); accepted: a complete .bz2 file`);
}

/**
 * The file's bytes go to `bin -dc` on stdin and the decoded bytes come back on stdout, both with
 * backpressure: a consumer that stops pulling stops the reading. A non-zero exit is a CorpusError
 * with the decompressor's own first stderr line; stopping early kills the process.
 */
async function* externalBunzip2(bin: string, name: string, src: AsyncIterable<Uint8Array>, where: string): AsyncGenerator<Uint8Array> {
  // LBZIP2, BZIP2 and BZIP insert arguments into the command line: keep the user's out of ours.
  const env = { ...process.env };
  for (const k of ["LBZIP2", "BZIP2", "BZIP"]) delete env[k];
  const child = spawn(bin, ["-dc"], { stdio: ["pipe", "pipe", "pipe"], env });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString("utf8");
  });
  let spawnError: Error | null = null;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("error", (e) => {
      spawnError ??= e;
      resolve({ code: null, signal: null });
    });
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  // The feeder's failure is either ours (a read error: reported as is) or the process going away
  // (EPIPE: its exit status says why).
  let readError: unknown = null;
  const source = (async function* () {
    try {
      for await (const chunk of src) yield chunk;
    } catch (e) {
      readError = e;
      throw e;
    }
  })();
  const feeding = pipeline(Readable.from(source), child.stdin).catch(() => {});
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const { code, signal } = await closed;
    await feeding;
    if (readError !== null) throw readError;
    if (spawnError !== null) throw new CorpusError(`cannot run ${name} (${bin}) to decompress ${where}: ${(spawnError as Error).message}; pass --bz2 library or set ${BZ2_ENV}=library`);
    if (code !== 0) {
      const line = stderr.split("\n").map((s) => s.trim()).find((s) => s !== "") ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
      throw corrupt(where, `${name}: ${line}`);
    }
    finished = true;
  } finally {
    if (!finished) {
      child.stdout.destroy();
      child.stdin.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    }
  }
}

/**
 * The pure-JS decoder, driven chunk by chunk: it emits synchronously from write(), so nothing is
 * read ahead of the consumer and memory stays within a few bzip2 blocks (<= 900 kB each).
 */
async function* libraryBunzip2(src: AsyncIterable<Uint8Array>, where: string): AsyncGenerator<Uint8Array> {
  const dec = bz2();
  const out: Uint8Array[] = [];
  let failure: unknown = null;
  dec.on("data", (c: Uint8Array) => out.push(c));
  dec.on("error", (e: unknown) => {
    failure ??= e;
  });
  const fail = (): never => {
    throw corrupt(where, failure instanceof Error ? failure.message : String(failure));
  };
  const write = (chunk: Uint8Array): void => {
    try {
      dec.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (e) {
      failure ??= e;
    }
  };
  for await (const chunk of src) {
    write(chunk);
    if (failure !== null) fail();
    while (out.length > 0) yield out.shift()!;
  }
  try {
    dec.end();
  } catch (e) {
    failure ??= e;
  }
  if (failure !== null) fail();
  while (out.length > 0) yield out.shift()!;
}
