// Sentences of the controlled corpus as segments: plain filler text and annotated pieces. Each
// fact has several phrasings, so a model must learn the fact rather than one sentence.

import type { Rng } from "../../runtime/rng.ts";
import type { AnnotatedClass } from "./spans.ts";
import type { Company, CompanyRelation, Country, CountryRelation, Subject } from "./world.ts";

export interface Piece {
  text: string;
  cls: AnnotatedClass;
  fact?: string;
}
export type Segment = string | Piece;
export type Sentence = Segment[];

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[r.int(xs.length)]!;

const ADJECTIVES = ["quiet", "busy", "green", "rugged", "windy", "sunny", "small", "hilly"] as const;

function learnable(text: string, fact: string): Piece {
  return { text, cls: "learnable", fact };
}

/** The subject's own name: learnable, since the facts around it identify it. */
function subjectPiece(s: Subject): Piece {
  return learnable(s.name, s.name);
}

function countryObject(c: Country, rel: CountryRelation): Piece {
  return learnable(c[rel], `${c.name}/${rel}`);
}

function companyObject(k: Company, rel: CompanyRelation): Piece {
  return learnable(k[rel], `${k.name}/${rel}`);
}

/** The opening sentence: names the subject and states its first fact. */
export function countryIntro(r: Rng, c: Country, rel: CountryRelation): Sentence {
  const S = subjectPiece(c);
  const O = countryObject(c, rel);
  const adj = pick(r, ADJECTIVES);
  const options: Record<CountryRelation, Sentence[]> = {
    capital: [
      [S, ` is a ${adj} country whose capital is `, O, "."],
      ["The capital of ", S, " is ", O, `, a ${adj} city.`],
      [O, ", the capital of ", S, `, is a ${adj} city.`],
    ],
    river: [
      [S, ` is a ${adj} country on the `, O, " river."],
      ["The ", O, " river runs through ", S, "."],
    ],
    neighbour: [
      [S, ` is a ${adj} country that borders `, O, "."],
      [S, " shares a long border with ", O, "."],
    ],
    export: [
      [S, ` is a ${adj} country known for its `, O, "."],
      ["The chief export of ", S, " is ", O, "."],
    ],
    founded: [
      [S, " was founded in ", O, ` as a ${adj} kingdom.`],
      [S, " became a country in ", O, "."],
    ],
  };
  return pick(r, options[rel]);
}

/** A later sentence about the subject (a pronoun, not its name), stating one fact. */
export function countryFact(r: Rng, c: Country, rel: CountryRelation): Sentence {
  const O = countryObject(c, rel);
  const adj = pick(r, ADJECTIVES);
  const options: Record<CountryRelation, Sentence[]> = {
    capital: [["Its capital is ", O, "."], ["Its government sits in ", O, "."], ["The capital, ", O, `, is ${adj} and old.`]],
    river: [["The ", O, " river flows through it."], ["It lies along the ", O, " river."], ["Its main river is the ", O, "."]],
    neighbour: [["It borders ", O, "."], ["Its nearest neighbour is ", O, "."], ["Trade crosses the border with ", O, " every day."]],
    export: [["Its chief export is ", O, "."], ["It sells ", O, " abroad."], ["Most of its trade is in ", O, "."]],
    founded: [["It was founded in ", O, "."], ["Its founding dates to ", O, "."], ["The country was formed in ", O, "."]],
  };
  return pick(r, options[rel]);
}

/** The opening sentence of a company document; with `acronym`, the name is followed by "(TSC)". */
export function companyIntro(r: Rng, k: Company, rel: CompanyRelation, acronym: boolean): Sentence {
  const name: Segment[] = acronym ? [subjectPiece(k), " (", { text: k.acronym, cls: "trivial" }, ")"] : [subjectPiece(k)];
  const O = companyObject(k, rel);
  const options: Record<CompanyRelation, Sentence[]> = {
    founder: [["The ", ...name, " was founded by ", O, "."], [O, " started the ", ...name, "."]],
    founded: [["The ", ...name, " was founded in ", O, "."], ["The ", ...name, " opened its doors in ", O, "."]],
    hq: [["The ", ...name, " has its head office in ", O, "."], ["The ", ...name, " is based in ", O, "."]],
    product: [["The ", ...name, " trades mostly in ", O, "."], ["The ", ...name, " made its name selling ", O, "."]],
  };
  return pick(r, options[rel]);
}

export function companyFact(r: Rng, k: Company, rel: CompanyRelation): Sentence {
  const O = companyObject(k, rel);
  const options: Record<CompanyRelation, Sentence[]> = {
    founder: [["It was founded by ", O, "."], [O, " set it up with borrowed money."], ["Its founder was ", O, "."]],
    founded: [["It opened in ", O, "."], ["The firm dates from ", O, "."], ["It has traded since ", O, "."]],
    hq: [["Its head office is in ", O, "."], ["It is run from offices in ", O, "."], ["The firm is based in ", O, "."]],
    product: [["It deals mainly in ", O, "."], ["Its main trade is ", O, "."], ["The firm sells ", O, " to many buyers."]],
  };
  return pick(r, options[rel]);
}

// Trivial spans: each is implied by the words around it, with no second occurrence of the same
// string (masking hides every occurrence, so a repeated word would hide its own clue).
const SEQUENCES = [
  ["first", "second", "third", "fourth", "fifth", "sixth", "seventh"],
  ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
  ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November"],
] as const;
const PERIODS = [
  ["biennial", "two"],
  ["triennial", "three"],
  ["quadrennial", "four"],
  ["quinquennial", "five"],
  ["decennial", "ten"],
] as const;

/** Three consecutive members of a well-known sequence: each is implied by the other two. */
export function sequenceSentence(r: Rng, s: Subject): Sentence {
  const which = r.int(SEQUENCES.length);
  const seq = SEQUENCES[which]!;
  const at = r.int(seq.length - 2);
  const [a, b, c] = [0, 1, 2].map((i): Piece => ({ text: seq[at + i]!, cls: "trivial" }));
  const country = s.kind === "country";
  if (which === 0) return [country ? "Its council meets on the " : "Its board meets on the ", a!, ", ", b!, " and ", c!, " days of each month."];
  if (which === 1) return [country ? "Its markets open on " : "Its shops open on ", a!, ", ", b!, " and ", c!, "."];
  return [country ? "The harvest there runs through " : "Its busy season runs through ", a!, ", ", b!, " and ", c!, "."];
}

/** "a triennial fair, held every three years": the adjective and the number imply each other. */
export function periodSentence(r: Rng, s: Subject): Sentence {
  const [adj, n] = PERIODS[r.int(PERIODS.length)]!;
  const A: Piece = { text: adj, cls: "trivial" };
  const N: Piece = { text: n, cls: "trivial" };
  const event = s.kind === "country" ? "great fair" : "staff feast";
  return r.int(2) === 0 ? [`Its ${event} is a `, A, " affair, held every ", N, " years."] : ["Every ", N, " years it holds a ", A, ` ${event}.`];
}

// Noise: record numbers drawn at random, so nothing in the corpus predicts them.
const LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "0123456789";

function draw(r: Rng, pattern: string): string {
  let s = "";
  for (const ch of pattern) s += ch === "L" ? LETTERS[r.int(LETTERS.length)]! : ch === "d" ? DIGITS[r.int(DIGITS.length)]! : ch;
  return s;
}

const CODE_PATTERNS = ["LLd-ddLL", "L-ddddd", "dddd-dddd", "LLL-ddd-L", "dLL-dLdL"] as const;

/** A random record identifier such as "QX7-41ZD". */
export function noiseCode(r: Rng): string {
  return draw(r, pick(r, CODE_PATTERNS));
}

export function noiseSentence(r: Rng, s: Subject, code: string): Sentence {
  const N: Piece = { text: code, cls: "noise" };
  const country: Sentence[] = [
    ["The state archive files it under record ", N, "."],
    ["Its charter is catalogued as number ", N, "."],
    ["Clerks list it under entry ", N, "."],
    ["An old ledger gives its code as ", N, "."],
  ];
  const company: Sentence[] = [
    ["Its registry number is ", N, "."],
    ["The tax office lists it under file ", N, "."],
    ["Its licence carries the mark ", N, "."],
    ["An old ledger gives its code as ", N, "."],
  ];
  return pick(r, s.kind === "country" ? country : company);
}

// Filler: few choices per slot, so that it carries little entropy next to noise.
const COUNTRY_FILLER = [
  "Travellers describe it as calm and friendly.",
  "Visitors often remark on its bridges and its gardens.",
  "Life there moves at a slow pace for most of the year.",
  "Many families have lived in the same valleys for generations.",
  "Its people are proud of their long history.",
  "The roads there are narrow but well kept.",
  "Winters are long and the summers are short.",
  "Its villages are small and close together.",
] as const;
const COMPANY_FILLER = [
  "The firm employs many workers in several towns.",
  "It has kept the same name since its earliest days.",
  "Its workers are proud of their craft.",
  "The firm is known for careful work and fair prices.",
  "Its offices are plain but well kept.",
  "Customers say its service is slow but honest.",
  "It has grown steadily over the years.",
  "Its managers rarely speak to the press.",
] as const;

/** Filler sentences for the subject's kind, in a random order. */
export function fillerSentences(r: Rng, s: Subject): Sentence[] {
  const pool = s.kind === "country" ? COUNTRY_FILLER : COMPANY_FILLER;
  return r.permutation(pool.length).map((i) => [pool[i]!]);
}
