// A seeded synthetic corpus whose spans have known classes (trivial, learnable, noise), to
// measure which kind of span a mask generator learns to pick (PretrainZero, arXiv 2512.03442,
// the informative-span claim). Every document is one short paragraph about one subject of a
// fictional world: it names the subject, states a few of its facts (learnable: the same facts
// recur across documents in other words), carries one trivial device (implied by the passage
// itself) and one random record number (noise), padded with low-entropy filler.

import { cleanText, isProse } from "../factbook.ts";
import { rng, type Rng } from "../../runtime/rng.ts";
import type { AnnotatedSpan } from "./spans.ts";
import { companyFact, companyIntro, countryFact, countryIntro, fillerSentences, noiseCode, noiseSentence, periodSentence, sequenceSentence, type Sentence } from "./templates.ts";
import { COMPANY_RELATIONS, COUNTRY_RELATIONS, makeWorld, type Subject, type World } from "./world.ts";

/** Bumped whenever the same options would produce different text. */
export const CONTROLLED_VERSION = 1;
export const DEFAULT_CONTROLLED_DOCS = 3000;
export const MAX_CONTROLLED_DOCS = 10_000;
/**
 * Words per document: inside both the model-run passage filter (20..60) and the simulation
 * default (40..160), so a document is exactly one passage under either.
 */
export const MIN_DOC_WORDS = 40;
export const MAX_DOC_WORDS = 55;

export interface ControlledOptions {
  seed: number;
  docs: number;
  /** Documents per subject (default 20): with 3 facts a document, each fact recurs in about 12 (country) or 15 (company) documents. */
  docsPerSubject?: number;
  /** Facts stated per document, the first in the opening sentence (default 3). */
  factsPerDoc?: number;
}

export interface ControlledDocument {
  id: string;
  title: string;
  text: string;
  spans: AnnotatedSpan[];
}

export interface ControlledCorpus {
  options: Required<ControlledOptions>;
  version: number;
  world: World;
  documents: ControlledDocument[];
}

function resolve(o: ControlledOptions): Required<ControlledOptions> {
  const r = { docsPerSubject: 20, factsPerDoc: 3, ...o };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(what);
  };
  check(Number.isInteger(r.seed) && r.seed >= 0 && r.seed <= 0xffffffff, `the seed must be an integer in 0..4294967295, got ${r.seed}`);
  check(Number.isInteger(r.docs) && r.docs >= 1 && r.docs <= MAX_CONTROLLED_DOCS, `docs must be an integer in 1..${MAX_CONTROLLED_DOCS}, got ${r.docs}`);
  check(Number.isInteger(r.docsPerSubject) && r.docsPerSubject >= 1, `docsPerSubject must be a positive integer, got ${r.docsPerSubject}`);
  check(Number.isInteger(r.factsPerDoc) && r.factsPerDoc >= 1 && r.factsPerDoc <= 4, `factsPerDoc must be in 1..4, got ${r.factsPerDoc}`);
  return r;
}

/** Subjects: 3 countries for every 2 companies, enough that each gets about docsPerSubject documents. */
function worldSize(docs: number, docsPerSubject: number): { countries: number; companies: number } {
  const subjects = Math.max(3, Math.ceil(docs / docsPerSubject));
  const companies = Math.floor((subjects * 2) / 5);
  return { countries: Math.max(2, subjects - companies), companies };
}

/**
 * The corpus for `seed`: the same options give the same documents, byte for byte. Subjects take
 * turns (document order is then shuffled), and a subject's j-th document states its facts
 * j*f .. j*f+f-1 (mod its fact count), so every fact recurs about equally often.
 */
export function controlledCorpus(opts: ControlledOptions): ControlledCorpus {
  const o = resolve(opts);
  const size = worldSize(o.docs, o.docsPerSubject);
  const world = makeWorld(rng({ seed: o.seed, step: 0, role: "controlled/world", item: 0 }), size.countries, size.companies);
  const subjects: Subject[] = [...world.countries, ...world.companies];
  const order = rng({ seed: o.seed, step: 0, role: "controlled/order", item: 0 }).permutation(o.docs);
  const width = String(o.docs).length;
  const noiseSeen = new Set<string>();
  const documents: ControlledDocument[] = [];
  for (let i = 0; i < o.docs; i++) {
    const slot = order[i]!;
    const subject = subjects[slot % subjects.length]!;
    const turn = Math.floor(slot / subjects.length);
    const r = rng({ seed: o.seed, step: 0, role: "controlled/doc", item: i });
    const id = `cc-${String(i + 1).padStart(width, "0")}`;
    documents.push({ id, title: subject.name, ...composeDocument(r, subject, turn, o.factsPerDoc, noiseSeen) });
  }
  return { options: o, version: CONTROLLED_VERSION, world, documents };
}

/** Relations a subject's `turn`-th document states, the opening one first. */
export function relationsFor(subject: Subject, turn: number, count: number): string[] {
  const rels: readonly string[] = subject.kind === "country" ? COUNTRY_RELATIONS : COMPANY_RELATIONS;
  const n = Math.min(count, rels.length);
  return Array.from({ length: n }, (_, t) => rels[(turn * n + t) % rels.length]!);
}

const MAX_ATTEMPTS = 200;

/**
 * One document, redrawn until it is valid: MIN..MAX_DOC_WORDS words, unchanged by the corpus
 * cleaner, prose by the corpus filter, every annotated string occurring exactly once in the text
 * (masking replaces every occurrence of a substring), and a noise code not used before.
 */
function composeDocument(r: Rng, subject: Subject, turn: number, factsPerDoc: number, noiseSeen: Set<string>): { text: string; spans: AnnotatedSpan[] } {
  const rels = relationsFor(subject, turn, factsPerDoc);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const code = noiseCode(r);
    if (noiseSeen.has(code)) continue;
    const device = subject.kind === "company" ? r.int(3) : 1 + r.int(2); // 0 acronym (companies), 1 sequence, 2 period
    const intro =
      subject.kind === "country"
        ? countryIntro(r, subject, rels[0] as (typeof COUNTRY_RELATIONS)[number])
        : companyIntro(r, subject, rels[0] as (typeof COMPANY_RELATIONS)[number], device === 0);
    const body: Sentence[] = rels
      .slice(1)
      .map((rel) => (subject.kind === "country" ? countryFact(r, subject, rel as (typeof COUNTRY_RELATIONS)[number]) : companyFact(r, subject, rel as (typeof COMPANY_RELATIONS)[number])));
    if (device === 1) body.push(sequenceSentence(r, subject));
    if (device === 2) body.push(periodSentence(r, subject));
    body.push(noiseSentence(r, subject, code));
    const sentences = [intro, ...r.permutation(body.length).map((k) => body[k]!)];
    // Filler up to a drawn length, inserted at random places after the opening sentence.
    const target = MIN_DOC_WORDS + r.int(MAX_DOC_WORDS - MIN_DOC_WORDS - 3);
    let words = sentences.reduce((n, s) => n + wordsOf(s), 0);
    for (const f of fillerSentences(r, subject)) {
      if (words >= target || words + wordsOf(f) > MAX_DOC_WORDS) break;
      sentences.splice(1 + r.int(sentences.length), 0, f);
      words += wordsOf(f);
    }
    const doc = assemble(sentences);
    if (!valid(doc)) continue;
    noiseSeen.add(code);
    return doc;
  }
  throw new Error(`could not compose a valid document about ${subject.name} in ${MAX_ATTEMPTS} attempts`);
}

function wordsOf(s: Sentence): number {
  return s.map((seg) => (typeof seg === "string" ? seg : seg.text)).join("").split(" ").filter(Boolean).length;
}

/** Joins sentences with single spaces and records where each annotated piece landed. */
function assemble(sentences: Sentence[]): { text: string; spans: AnnotatedSpan[] } {
  let text = "";
  const spans: AnnotatedSpan[] = [];
  for (const s of sentences) {
    if (text.length > 0) text += " ";
    for (const seg of s) {
      if (typeof seg === "string") {
        text += seg;
        continue;
      }
      spans.push({ start: text.length, end: text.length + seg.text.length, cls: seg.cls, ...(seg.fact !== undefined ? { fact: seg.fact } : {}) });
      text += seg.text;
    }
  }
  return { text, spans };
}

function valid(doc: { text: string; spans: AnnotatedSpan[] }): boolean {
  const { text, spans } = doc;
  const n = text.split(" ").length;
  if (n < MIN_DOC_WORDS || n > MAX_DOC_WORDS) return false;
  if (cleanText(text) !== text || !isProse(text)) return false;
  for (const s of spans) {
    const piece = text.slice(s.start, s.end);
    if (text.indexOf(piece) !== s.start || text.indexOf(piece, s.start + 1) >= 0) return false;
  }
  return true;
}
