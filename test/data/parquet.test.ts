// Parquet in the Hugging Face wikipedia layout (id, url, title, text), written at test time with
// hyparquet-writer and read back row group by row group.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { openCorpus, passagesFromDocuments, type Document } from "../../src/data/corpus.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-parquet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 25;
const article = (i: number): string =>
  `Article ${i} begins with a sentence about the history of a small town on a river. It goes on to describe the bridge that was built there, the mill that stood beside it and the families who ran it for generations.\n\nA second paragraph of article ${i} tells how the railway arrived, how the mill closed and how the town became a quiet place where visitors now come to walk along the water in summer.`;

const wiki = join(dir, "train-00000-of-00001.parquet");
const other = join(dir, "other.parquet");
beforeAll(() => {
  parquetWriteFile({
    filename: wiki,
    columnData: [
      { name: "id", data: Array.from({ length: N }, (_, i) => String(1000 + i)), type: "STRING" },
      { name: "url", data: Array.from({ length: N }, (_, i) => `https://en.wikipedia.org/wiki?curid=${1000 + i}`), type: "STRING" },
      { name: "title", data: Array.from({ length: N }, (_, i) => `Town ${i}`), type: "STRING" },
      { name: "text", data: Array.from({ length: N }, (_, i) => (i === 3 ? "" : article(i))), type: "STRING" },
    ],
    rowGroupSize: 10, // three row groups
  });
  parquetWriteFile({ filename: other, columnData: [{ name: "content", data: ["x"], type: "STRING" }] });
});

test("rows of every row group become documents with the id and title columns", async () => {
  const corpus = openCorpus(wiki);
  const docs: Document[] = [];
  for await (const d of corpus) docs.push(d);
  expect(corpus.format).toBe("parquet");
  expect(corpus.stats.records).toBe(N);
  expect(corpus.stats.skipped).toEqual({ empty: 1 });
  expect(docs).toHaveLength(N - 1);
  expect(docs[0]).toEqual({ id: "1000", title: "Town 0", text: article(0) });
  expect(docs.at(-1)!.id).toBe(String(1000 + N - 1));
});

test("parquet documents become passages, split by paragraph, held out by document", async () => {
  const split = await passagesFromDocuments(openCorpus(wiki), { minWords: 20, heldOutFraction: 0.3, seed: 1 });
  expect(split.stats.passages).toBe(2 * (N - 1));
  // Each article's two paragraphs differ only in the number: none is a duplicate.
  expect(split.stats.skipped.duplicate).toBe(0);
  const held = new Set(split.heldOut.map((p) => p.docId));
  expect(held.size).toBeGreaterThan(0);
  for (const p of split.train) expect(held.has(p.docId)).toBe(false);
});

test("the format is recognised from the magic bytes whatever the name", async () => {
  const renamed = join(dir, "renamed.data");
  await Bun.write(renamed, Bun.file(wiki));
  const corpus = openCorpus(renamed);
  for await (const _ of corpus) break;
  expect(corpus.format).toBe("parquet");
});

test("a missing text column is an error that lists the columns", async () => {
  const e = await (async () => {
    for await (const _ of openCorpus(other));
  })().then(
    () => null,
    (err: Error & { exitCode?: number }) => err,
  );
  expect(e?.exitCode).toBe(2);
  expect(e?.message).toMatch(/other\.parquet has no column "text" \(columns: content\); pass --text-field/);
  const docs: Document[] = [];
  for await (const d of openCorpus(other, { textField: "content" })) docs.push(d);
  expect(docs).toEqual([{ id: "row0", text: "x" }]);
});

test("a file that claims to be parquet but is not is a clear error", async () => {
  const bad = join(dir, "bad.parquet");
  await Bun.write(bad, "PAR1 this is not really parquet");
  const e = await (async () => {
    for await (const _ of openCorpus(bad));
  })().then(
    () => null,
    (err: Error & { exitCode?: number }) => err,
  );
  expect(e?.exitCode).toBe(2);
  expect(e?.message).toMatch(/bad\.parquet is not a readable Parquet file/);
});
