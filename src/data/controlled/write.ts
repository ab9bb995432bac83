// `bun run corpus --controlled OUT.jsonl`: generate, write both files, and summarise them.

import { controlledCorpus, type ControlledOptions } from "./generate.ts";
import { classesFile, writeControlledCorpus } from "./sidecar.ts";
import type { AnnotatedClass } from "./spans.ts";

export interface ControlledSummary {
  corpusPath: string;
  classesPath: string;
  seed: number;
  version: number;
  docs: number;
  words: number;
  bytes: number;
  subjects: { countries: number; companies: number };
  spans: Record<AnnotatedClass, number>;
  /** Fewest and most documents stating one fact. */
  factRecurrence: { facts: number; min: number; max: number };
}

export function generateControlledCorpusFile(path: string, opts: ControlledOptions): ControlledSummary {
  const c = controlledCorpus(opts);
  const written = writeControlledCorpus(path, c);
  const perFact = new Map<string, number>();
  for (const d of c.documents) for (const s of d.spans) if (s.fact?.includes("/")) perFact.set(s.fact, (perFact.get(s.fact) ?? 0) + 1);
  const recur = [...perFact.values()];
  return {
    ...written,
    seed: c.options.seed,
    version: c.version,
    docs: c.documents.length,
    words: c.documents.reduce((n, d) => n + d.text.split(" ").length, 0),
    subjects: { countries: c.world.countries.length, companies: c.world.companies.length },
    spans: classesFile(c).counts,
    factRecurrence: { facts: recur.length, min: recur.length ? Math.min(...recur) : 0, max: recur.length ? Math.max(...recur) : 0 },
  };
}

export function formatControlledSummary(s: ControlledSummary): string {
  return (
    `wrote ${s.corpusPath} (${s.docs} docs, ${s.words} words, ${(s.bytes / 1024).toFixed(0)} KiB) and ${s.classesPath}: ` +
    `spans trivial ${s.spans.trivial}, learnable ${s.spans.learnable}, noise ${s.spans.noise}; ` +
    `${s.subjects.countries} countries, ${s.subjects.companies} companies, ${s.factRecurrence.facts} facts in ${s.factRecurrence.min}..${s.factRecurrence.max} docs each; seed ${s.seed}, generator v${s.version}`
  );
}
