// bzip2 corpora through each decoder (lbzip2, bzip2, the built-in library): the same documents
// whichever decodes, a clear one-line error for truncated or corrupt files and for a decompressor
// that dies, the choice and its fallback when a binary is absent, and early stops that end the
// external process. The .bz2 files are made here by bzip2 from a generated MediaWiki dump.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BZ2_CHOICES, resolveBz2, type Bz2Decoder } from "../../src/data/bzip2.ts";
import { openCorpus, type CorpusOptions, type Document } from "../../src/data/corpus.ts";
import { ENWIKI_SAMPLE, sharedDataMissing } from "../helpers/shared-data.ts";

setDefaultTimeout(60_000);

const repo = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "spz-bzip2-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BZIP2 = Bun.which("bzip2");
const LBZIP2 = Bun.which("lbzip2");
if (!BZIP2) console.log("skip (test/data/bzip2.test.ts): bzip2 is not on PATH; it makes the test files (apt-get install bzip2)");
if (!LBZIP2) console.log("skip (test/data/bzip2.test.ts: lbzip2 cases): lbzip2 is not on PATH (apt-get install lbzip2)");
const NO_SHARED = sharedDataMissing("test/data/bzip2.test.ts: early stop on the real dump");

/** A MediaWiki dump of `pages` articles with distinct prose, a redirect every tenth page. */
function dump(pages: number): string {
  const words = ["harbour", "tower", "lamp", "keeper", "coast", "signal", "reef", "night", "ship", "stone", "light", "storm", "island", "beacon"];
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const sentence = (): string => {
    const n = 8 + (next() % 10);
    const w = Array.from({ length: n }, () => words[next() % words.length]!);
    return `The ${w.join(" ")} stood there for ${next() % 1000} years.`;
  };
  const out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">'];
  for (let i = 1; i <= pages; i++) {
    const text =
      i % 10 === 0 ? `#REDIRECT [[Page ${i - 1}]]` : Array.from({ length: 3 }, () => Array.from({ length: 5 }, sentence).join(" ")).join("\n\n");
    const redirect = i % 10 === 0 ? `<redirect title="Page ${i - 1}"/>` : "";
    out.push(`  <page><title>Page ${i}</title><ns>0</ns><id>${i}</id>${redirect}<revision><id>${i}0</id><model>wikitext</model><text xml:space="preserve">${text}</text></revision></page>`);
  }
  out.push("</mediawiki>\n");
  return out.join("\n");
}

function bzip2File(name: string, text: string): string {
  const xml = join(dir, name.replace(/\.bz2$/, ""));
  writeFileSync(xml, text);
  // -1: 100 kB blocks, so the file spans several blocks (and lbzip2 decodes them in parallel).
  const p = Bun.spawnSync([BZIP2!, "-1", "-kf", xml]);
  if (p.exitCode !== 0) throw new Error(`bzip2 failed: ${p.stderr.toString()}`);
  return `${xml}.bz2`;
}

async function read(path: string, opts: CorpusOptions = {}): Promise<{ docs: Document[]; stats: ReturnType<typeof openCorpus>["stats"] }> {
  const corpus = openCorpus(path, opts);
  const docs: Document[] = [];
  for await (const d of corpus) docs.push(d);
  return { docs, stats: corpus.stats };
}

async function failure(path: string, opts: CorpusOptions): Promise<Error> {
  try {
    await read(path, opts);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`reading ${path} did not fail`);
}

/** Child processes of this test process running `name` (Linux /proc). */
function children(name: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = /\(([^)]*)\)/.exec(stat)![1];
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm === name) pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const decoders: Bz2Decoder[] = ["library", ...(BZIP2 ? (["bzip2"] as const) : []), ...(LBZIP2 ? (["lbzip2"] as const) : [])];

describe.skipIf(!BZIP2)("every decoder reads the same corpus", () => {
  test("a multi-block dump gives identical documents, counts and bytes through each decoder, and the same as the plain XML", async () => {
    const text = dump(600);
    const bz = bzip2File("same.xml.bz2", text);
    const plain = await read(bz.replace(/\.bz2$/, ""));
    expect(plain.docs).toHaveLength(540);
    for (const bz2 of decoders) {
      const { docs, stats } = await read(bz, { bz2 });
      expect({ bz2, docs }).toEqual({ bz2, docs: plain.docs });
      expect(stats.compression).toBe("bzip2");
      expect(stats.decompressor).toBe(bz2);
      expect(stats.bytesDecompressed).toBe(Buffer.byteLength(text));
      expect(stats.bytesRead).toBe(stats.totalBytes);
      expect(stats.skipped).toEqual({ redirect: 60 });
    }
  });

  test("a truncated file is a one-line 'corrupt or truncated' error naming the file and the decoder, in every path", async () => {
    const full = readFileSync(bzip2File("whole.xml.bz2", dump(300)));
    const cut = join(dir, "cut.xml.bz2");
    writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.6)));
    for (const bz2 of decoders) {
      const e = await failure(cut, { bz2 });
      expect(e.message).toMatch(/^corrupt or truncated bzip2 data in .*cut\.xml\.bz2 \(/);
      if (bz2 !== "library") expect(e.message).toContain(`(${bz2}: `);
      expect(e.message).not.toContain("\n");
      expect((e as Error & { exitCode?: number }).exitCode).toBe(2);
    }
  });

  test("garbage after a bzip2 header is the same one-line error in every path", async () => {
    const junk = join(dir, "junk.xml.bz2");
    const bytes = new Uint8Array(5000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    bytes.set([0x42, 0x5a, 0x68, 0x39], 0);
    writeFileSync(junk, bytes);
    for (const bz2 of decoders) {
      const e = await failure(junk, { bz2 });
      expect(e.message).toMatch(/^corrupt or truncated bzip2 data in .*junk\.xml\.bz2 \(.*\); accepted: a complete \.bz2 file$/);
    }
  });

  test("a decompressor that exits without reading its input is an error, not a hang", async () => {
    const bin = join(dir, "dying-bin");
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, "lbzip2");
    writeFileSync(fake, "#!/bin/sh\necho 'lbzip2: cannot allocate decoder' >&2\nexit 4\n");
    chmodSync(fake, 0o755);
    const bz = bzip2File("dies.xml.bz2", dump(600));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      const e = await failure(bz, { bz2: "lbzip2" });
      expect(e.message).toMatch(/^corrupt or truncated bzip2 data in .*dies\.xml\.bz2 \(lbzip2: lbzip2: cannot allocate decoder\)/);
    } finally {
      process.env.PATH = saved;
    }
  });

  test.skipIf(NO_SHARED)("stopping early reads a bounded head of the file and ends the external process", async () => {
    // Eight copies of the real dump, concatenated: a valid multi-stream .bz2 of 13.6 MB.
    const one = readFileSync(ENWIKI_SAMPLE);
    const eight = join(dir, "eight.xml.bz2");
    writeFileSync(eight, Buffer.concat(Array.from({ length: 8 }, () => one)));
    for (const bz2 of decoders.filter((d) => d !== "library")) {
      const corpus = openCorpus(eight, { bz2 });
      for await (const _ of corpus) break;
      expect(corpus.stats.done).toBe(false);
      expect(corpus.stats.bytesRead).toBeLessThan(corpus.stats.totalBytes / 2);
      for (let i = 0; i < 50 && children(bz2).length > 0; i++) await Bun.sleep(20);
      expect(children(bz2)).toEqual([]);
    }
  });
});

describe("choosing the decoder", () => {
  const empty = mkdtempSync(join(tmpdir(), "spz-bzip2-nopath-"));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  test("auto prefers lbzip2, then bzip2, and falls back to the library when neither is on PATH", () => {
    const want = LBZIP2 ? "lbzip2" : BZIP2 ? "bzip2" : "library";
    expect(resolveBz2("auto").decoder).toBe(want);
    expect(resolveBz2(undefined, { PATH: empty })).toEqual({ decoder: "library" });
    expect(resolveBz2("library")).toEqual({ decoder: "library" });
  });

  test("a forced binary that is missing is a one-line error that says how to get it or avoid it", () => {
    for (const c of ["lbzip2", "bzip2"] as const) {
      expect(() => resolveBz2(c, { PATH: empty })).toThrow(`--bz2 ${c}: ${c} is not on PATH; install it (apt-get install ${c}) or use auto or library`);
      expect(() => resolveBz2(undefined, { PATH: empty, SPZ_BZ2: c })).toThrow(`SPZ_BZ2=${c}: ${c} is not on PATH`);
    }
  });

  test("SPZ_BZ2 picks the decoder when no flag does; a flag wins; a bad value is an error", () => {
    expect(resolveBz2(undefined, { PATH: process.env.PATH, SPZ_BZ2: "library" }).decoder).toBe("library");
    expect(resolveBz2("library", { PATH: process.env.PATH, SPZ_BZ2: "lbzip2" }).decoder).toBe("library");
    expect(() => resolveBz2(undefined, { SPZ_BZ2: "pbzip2" })).toThrow(`SPZ_BZ2=pbzip2 is not a bzip2 decoder; accepted: ${BZ2_CHOICES.join(", ")}`);
  });

  test.skipIf(!BZIP2)("corpus --inspect: --bz2 names the decoder and its MB/s; without any binary on PATH, auto reads through the library and a forced binary fails in one line", () => {
    const bz = bzip2File("cli.xml.bz2", dump(120));
    const run = (env: Record<string, string>, ...args: string[]) => {
      const p = Bun.spawnSync([process.execPath, join(repo, "src", "cli", "corpus.ts"), "--inspect", bz, "--samples", "0", ...args], {
        cwd: repo,
        env: { ...process.env, SPZ_CACHE_DIR: "none", ...env },
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
    };
    const lib = run({}, "--bz2", "library", "--json");
    expect(lib.code).toBe(0);
    expect(lib.out).toMatch(/: mediawiki, bzip2 via library \(\d+\.\d MB\/s compressed, \d+\.\d MB\/s decompressed\)/);
    const fallback = run({ PATH: empty });
    expect(fallback.code).toBe(0);
    expect(fallback.out).toContain("bzip2 via library (");
    const forced = run({ PATH: empty }, "--bz2", "lbzip2");
    expect(forced.code).toBe(2);
    expect(forced.err.trim()).toBe("error: --bz2 lbzip2: lbzip2 is not on PATH; install it (apt-get install lbzip2) or use auto or library");
    const viaBinary = run({}, "--bz2", "bzip2", "--json");
    expect(viaBinary.out).toContain("bzip2 via bzip2 (");
    const summary = (out: string) => JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(summary(viaBinary.out)).toMatchObject({ decompressor: "bzip2", documents: 108 });
    const { decompressor: _a, seconds: _b, ...a } = summary(lib.out);
    const { decompressor: _c, seconds: _d, ...b } = summary(viaBinary.out);
    expect(b).toEqual(a);
  });
});

test("the decoders' choice is documented in corpus --help", () => {
  const p = Bun.spawnSync([process.execPath, join(repo, "src", "cli", "corpus.ts"), "--help"], { cwd: repo, stdout: "pipe" });
  expect(p.stdout.toString()).toContain("--bz2 <auto|lbzip2|bzip2|library>");
});
