// lm-pretrain's Python mix: off by default, with exactly the documents fixtures/default-model saw;
// on, every AZR document, a standard-library share and the corpus cut to the rest.

import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { factbookPassages } from "../../src/data/factbook.ts";
import { DEFAULT_PRETRAIN, pretrainDocuments, type PretrainOptions } from "../../src/model/pretrain.ts";

const passages = factbookPassages().slice(0, 400);
const sha = (docs: readonly string[]) => createHash("sha256").update(docs.join("\u0000")).digest("hex");

test("without a mix the documents are byte-identical to the build before the mix (commit f3ffc4f)", () => {
  // Hashes recorded from pretrainDocuments at f3ffc4f on the same passages.
  expect(sha(pretrainDocuments(passages, DEFAULT_PRETRAIN))).toBe("7cffffd369f7028a892b3b13e4b90d3cc26731718ac9785602b0eed2ebd61d0b");
  expect(sha(pretrainDocuments(passages, { ...DEFAULT_PRETRAIN, taskShare: 0.5 }))).toBe("7c60806a674cf856e3923d55d0f844bf69583c279dc5f9b3d936efb65e78bb9d");
  // Python sources without options to use them change nothing either.
  expect(sha(pretrainDocuments(passages, DEFAULT_PRETRAIN, { azr: ["x"], stdlib: ["y"] }))).toBe("7cffffd369f7028a892b3b13e4b90d3cc26731718ac9785602b0eed2ebd61d0b");
});

const azr = Array.from({ length: 40 }, (_, i) => `Program:\n\`\`\`python\ndef f(a):\n    return a + ${i}\n\`\`\`\n`.repeat(8));
const stdlib = Array.from({ length: 200 }, (_, i) => `def g${i}(x):\n    return x * ${i}\n`.repeat(3));
const chars = (ds: readonly string[]) => ds.reduce((a, d) => a + d.length, 0);

test("a mix holds every AZR document, stdlib chunks to their share, and the corpus cut to the rest", () => {
  const o: PretrainOptions = { ...DEFAULT_PRETRAIN, python: { share: 0.8, programs: 20, stdlibShare: 0.25, chunkChars: 1200 } };
  const docs = pretrainDocuments(passages, o, { azr, stdlib });
  for (const d of azr) expect(docs).toContain(d);
  const py = docs.filter((d) => azr.includes(d) || stdlib.includes(d));
  const lib = docs.filter((d) => stdlib.includes(d));
  // Drawn until the share is reached: within one chunk of it.
  expect(chars(lib) / chars(py)).toBeGreaterThanOrEqual(0.25);
  const last = Math.max(...stdlib.map((d) => d.length));
  expect((chars(lib) - last) / (chars(py) - last)).toBeLessThan(0.25);
  const corpus = docs.length - py.length;
  expect(corpus).toBeGreaterThan(0);
  expect(chars(py) / chars(docs)).toBeGreaterThan(0.7);
  expect(chars(py) / chars(docs)).toBeLessThanOrEqual(0.8 + 1e-9);
  // Deterministic, and share 1 leaves the corpus out.
  expect(pretrainDocuments(passages, o, { azr, stdlib })).toEqual(docs);
  const only = pretrainDocuments(passages, { ...o, python: { ...o.python!, share: 1 } }, { azr, stdlib });
  expect(only.every((d) => azr.includes(d) || stdlib.includes(d))).toBe(true);
});

test("options asking for a mix without sources are refused", () => {
  expect(() => pretrainDocuments(passages, { ...DEFAULT_PRETRAIN, python: { share: 0.5, programs: 1, stdlibShare: 0, chunkChars: 100 } })).toThrow(
    "pretrainDocuments: options ask for a Python mix but no Python sources were given",
  );
});
