// The controlled corpus on disk: OUT.jsonl (one {"id","title","text"} per document, read by every
// corpus loader) and OUT.classes.json, the span annotations a run looks up by passage text.
//
// OUT.classes.json:
//   { "format": "controlled-corpus-classes", "version": 1,
//     "generator": { "version", "seed", "docs", "docsPerSubject", "factsPerDoc" },
//     "counts": { "trivial": n, "learnable": n, "noise": n },
//     "documents": [ { "id": "cc-0001", "key": "<passageKey(text)>",
//                      "spans": [[start, end, "learnable", "Norland/capital"], [start, end, "noise"], ...] } ] }
// start/end are UTF-16 offsets into the document text, end exclusive; the fourth element (the
// fact) is present on learnable spans only.

import { existsSync, writeFileSync } from "node:fs";
import type { ControlledCorpus } from "./generate.ts";
import { passageKey, type AnnotatedClass } from "./spans.ts";

export const CLASSES_FORMAT = "controlled-corpus-classes";
export const CLASSES_FORMAT_VERSION = 1;

export type SpanTuple = [start: number, end: number, cls: AnnotatedClass, fact?: string];

export interface ClassesFile {
  format: typeof CLASSES_FORMAT;
  version: number;
  generator: { version: number; seed: number; docs: number; docsPerSubject: number; factsPerDoc: number };
  counts: Record<AnnotatedClass, number>;
  documents: { id: string; key: string; spans: SpanTuple[] }[];
}

/** The sidecar of a corpus file: "OUT.jsonl" -> "OUT.classes.json" (any other name gets ".classes.json" appended). */
export function classesPathFor(corpusPath: string): string {
  return corpusPath.endsWith(".jsonl") ? `${corpusPath.slice(0, -".jsonl".length)}.classes.json` : `${corpusPath}.classes.json`;
}

export function classesFile(c: ControlledCorpus): ClassesFile {
  const counts: Record<AnnotatedClass, number> = { trivial: 0, learnable: 0, noise: 0 };
  const documents = c.documents.map((d) => ({
    id: d.id,
    key: passageKey(d.text),
    spans: d.spans.map((s): SpanTuple => {
      counts[s.cls]++;
      return s.fact !== undefined ? [s.start, s.end, s.cls, s.fact] : [s.start, s.end, s.cls];
    }),
  }));
  return { format: CLASSES_FORMAT, version: CLASSES_FORMAT_VERSION, generator: { version: c.version, ...c.options }, counts, documents };
}

export function corpusJsonl(c: ControlledCorpus): string {
  return c.documents.map((d) => JSON.stringify({ id: d.id, title: d.title, text: d.text })).join("\n") + "\n";
}

/**
 * Writes OUT and its sidecar; refuses (before writing anything) when either exists, and writes
 * with O_EXCL so a file appearing meanwhile is not clobbered either.
 */
export function writeControlledCorpus(path: string, c: ControlledCorpus): { corpusPath: string; classesPath: string; bytes: number } {
  const classesPath = classesPathFor(path);
  for (const p of [path, classesPath]) if (existsSync(p)) throw new ControlledCorpusExists(p);
  const jsonl = corpusJsonl(c);
  writeFileSync(path, jsonl, { flag: "wx" });
  writeFileSync(classesPath, JSON.stringify(classesFile(c)) + "\n", { flag: "wx" });
  return { corpusPath: path, classesPath, bytes: Buffer.byteLength(jsonl) };
}

export class ControlledCorpusExists extends Error {
  override name = "ControlledCorpusExists";
  readonly exitCode = 2;
  constructor(readonly path: string) {
    super(`${path} already exists; refusing to overwrite it; accepted: a path that does not exist yet (remove the old corpus and its .classes.json first)`);
  }
}
