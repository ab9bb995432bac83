// The passage cache must return exactly what computing returns, and never a split of another
// corpus, option set or version of the file.

import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPassages } from "../../src/data/corpus.ts";
import { cacheDir, cachedSplit } from "../../src/data/passage-cache.ts";

const root = mkdtempSync(join(tmpdir(), "spz-pcache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const saved = process.env.SPZ_CACHE_DIR;
let dir: string;
let n = 0;
beforeEach(() => {
  dir = join(root, `cache-${n++}`);
  process.env.SPZ_CACHE_DIR = dir;
});
afterEach(() => {
  if (saved === undefined) delete process.env.SPZ_CACHE_DIR;
  else process.env.SPZ_CACHE_DIR = saved;
});

const para = (i: number) =>
  `Paragraph ${i} tells how the river town grew around its mill and its bridge, and how the people who lived there traded grain and wool with the villages upstream for many long years before the railway came.`;
function corpusFile(name: string, paragraphs: number): string {
  const f = join(root, name);
  writeFileSync(f, Array.from({ length: paragraphs }, (_, i) => para(i)).join("\n\n"));
  return f;
}

/** compute() that counts its calls. */
function counted<T>(value: () => Promise<T>) {
  const c = { calls: 0, fn: async () => (c.calls++, value()) };
  return c;
}

describe("the passage cache", () => {
  test("a second load returns the same split without computing it", async () => {
    const f = corpusFile("a.txt", 5);
    const fresh = await loadPassages(f, { minWords: 10 });
    const c = counted(() => loadPassages(f, { minWords: 10 }));
    const cold = await cachedSplit(f, false, { minWords: 10 }, c.fn);
    const warm = await cachedSplit(f, false, { minWords: 10 }, c.fn);
    expect(c.calls).toBe(1);
    expect(warm).toEqual(fresh);
    expect(cold).toEqual(fresh);
    expect(readdirSync(join(dir, "passages"))).toHaveLength(1);
  });

  test("loadPassages with cache: true gives what it gives without", async () => {
    const f = corpusFile("b.txt", 4);
    const plain = await loadPassages(f, { minWords: 10 });
    expect(await loadPassages(f, { minWords: 10, cache: true })).toEqual(plain);
    expect(await loadPassages(f, { minWords: 10, cache: true })).toEqual(plain);
    expect(await loadPassages("factbook", { cache: true })).toEqual(await loadPassages("factbook"));
  });

  test("a changed file is a miss", async () => {
    const f = corpusFile("c.txt", 3);
    const c = counted(() => loadPassages(f, { minWords: 10 }));
    const before = await cachedSplit(f, false, {}, c.fn);
    corpusFile("c.txt", 6);
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    const after = await cachedSplit(f, false, {}, c.fn);
    expect(c.calls).toBe(2);
    expect(after.train.length + after.heldOut.length).toBeGreaterThan(before.train.length + before.heldOut.length);
  });

  test("other options are another entry", async () => {
    const f = corpusFile("d.txt", 3);
    const c = counted(async () => ({ calls: 0 }));
    await cachedSplit(f, false, { minWords: 10 }, c.fn);
    await cachedSplit(f, false, { minWords: 11 }, c.fn);
    await cachedSplit(f, false, { minWords: 10, seed: 1 }, c.fn);
    await cachedSplit(f, false, { seed: 1, minWords: 10 }, c.fn);
    expect(c.calls).toBe(3);
  });

  test("a corrupt entry is recomputed and replaced", async () => {
    const f = corpusFile("e.txt", 3);
    const c = counted(async () => ({ answer: 42 }));
    await cachedSplit(f, false, {}, c.fn);
    const entry = join(dir, "passages", readdirSync(join(dir, "passages"))[0]!);
    writeFileSync(entry, "not msgpack at all \xc1\xc1");
    expect(await cachedSplit(f, false, {}, c.fn)).toEqual({ answer: 42 });
    expect(await cachedSplit(f, false, {}, c.fn)).toEqual({ answer: 42 });
    expect(c.calls).toBe(2);
  });

  test("SPZ_CACHE_DIR=none turns it off", async () => {
    process.env.SPZ_CACHE_DIR = "none";
    expect(cacheDir()).toBeNull();
    const f = corpusFile("f.txt", 3);
    const c = counted(async () => 1);
    await cachedSplit(f, false, {}, c.fn);
    await cachedSplit(f, false, {}, c.fn);
    expect(c.calls).toBe(2);
  });

  test("a cache folder that cannot be made costs speed, not the result", async () => {
    // Under a regular file no one can make a folder, root included.
    const f = corpusFile("g.txt", 3);
    process.env.SPZ_CACHE_DIR = join(f, "cache");
    const c = counted(async () => "value");
    expect(await cachedSplit(f, false, {}, c.fn)).toBe("value");
    expect(await cachedSplit(f, false, {}, c.fn)).toBe("value");
    expect(c.calls).toBe(2);
  });

  test("a folder corpus is never cached", async () => {
    const d = join(root, "folder");
    mkdirSync(d, { recursive: true });
    const c = counted(async () => 1);
    await cachedSplit(d, false, {}, c.fn);
    await cachedSplit(d, false, {}, c.fn);
    expect(c.calls).toBe(2);
  });

  test("the default location follows XDG_CACHE_HOME", () => {
    expect(cacheDir({ XDG_CACHE_HOME: "/x/cache" })).toBe("/x/cache/selfplay-zero");
    expect(cacheDir({ SPZ_CACHE_DIR: "/y", XDG_CACHE_HOME: "/x" })).toBe("/y");
  });
});
