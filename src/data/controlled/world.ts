// The fictional world the controlled corpus describes: countries and companies with invented,
// pronounceable names and fixed attributes. Every attribute is a fact that several documents
// state in different words, so a model can only learn it by memorising the corpus.

import type { Rng } from "../../runtime/rng.ts";

export const COUNTRY_RELATIONS = ["capital", "river", "neighbour", "export", "founded"] as const;
export const COMPANY_RELATIONS = ["founder", "founded", "hq", "product"] as const;
export type CountryRelation = (typeof COUNTRY_RELATIONS)[number];
export type CompanyRelation = (typeof COMPANY_RELATIONS)[number];

export interface Country {
  kind: "country";
  name: string;
  capital: string;
  river: string;
  /** Name of another country. */
  neighbour: string;
  export: string;
  founded: string;
}

export interface Company {
  kind: "company";
  /** Three words ("Tarvel Shipping Company"); its initials are the acronym. */
  name: string;
  acronym: string;
  founder: string;
  founded: string;
  /** A country's capital. */
  hq: string;
  product: string;
}

export type Subject = Country | Company;

export interface World {
  countries: Country[];
  companies: Company[];
}

// Goods are common lowercase words (not invented), so that "exports amber" reads as English.
export const GOODS = [
  "amber", "tin", "wool", "timber", "copper", "glass", "rye", "flax", "silver", "indigo", "pepper", "honey",
  "marble", "hemp", "cork", "saffron", "barley", "leather", "salt", "iron", "slate", "dates", "olives", "furs",
  "pearls", "cotton", "linen", "clay", "quartz", "cedar",
] as const;
const INDUSTRIES = ["Shipping", "Lantern", "Rope", "Printing", "Railway", "Clockwork", "Brewing", "Mining", "Weaving", "Canning", "Ferry", "Bellfounding"] as const;
const SUFFIXES = ["Company", "Works", "Guild", "Society"] as const;

const ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr", "kr", "st", "tr", "th", "sh"];
const VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o"];
const CODAS = ["", "", "", "n", "r", "l", "s", "th", "m", "k"];

/** A pronounceable invented word of `syllables` syllables, capitalised. */
function inventedName(r: Rng, syllables: number): string {
  let s = "";
  for (let i = 0; i < syllables; i++) s += ONSETS[r.int(ONSETS.length)]! + VOWELS[r.int(VOWELS.length)]! + (i === syllables - 1 || r.int(3) === 0 ? CODAS[r.int(CODAS.length)]! : "");
  return s[0]!.toUpperCase() + s.slice(1);
}

/**
 * Unique invented words, none a substring of another (case-insensitive): masking replaces
 * substrings, so "Vesk" inside "Veskara" would make two names one span.
 */
class NamePool {
  private readonly taken: string[] = [];
  constructor(private readonly r: Rng) {}
  next(minSyllables: number, maxSyllables: number): string {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const n = inventedName(this.r, minSyllables + this.r.int(maxSyllables - minSyllables + 1));
      const low = n.toLowerCase();
      if (low.length < 4) continue;
      if (this.taken.some((t) => t.includes(low) || low.includes(t))) continue;
      this.taken.push(low);
      return n;
    }
    throw new Error("the name pool is exhausted: ask for fewer entities");
  }
}

/** A world of `countries` countries and `companies` companies, drawn from `r`. */
export function makeWorld(r: Rng, countries: number, companies: number): World {
  if (countries < 2) throw new RangeError(`a controlled world needs at least 2 countries (neighbours), got ${countries}`);
  const names = new NamePool(r);
  const years = new Set<string>();
  const year = (lo: number, hi: number): string => {
    // Distinct years across the world: a year then names one fact, never two.
    for (let attempt = 0; attempt < 100_000; attempt++) {
      const y = String(lo + r.int(hi - lo + 1));
      if (!years.has(y)) {
        years.add(y);
        return y;
      }
    }
    throw new Error(`no unused year left in ${lo}..${hi}: ask for fewer entities`);
  };
  const cs: Country[] = [];
  for (let i = 0; i < countries; i++) {
    cs.push({ kind: "country", name: names.next(2, 3), capital: names.next(1, 2), river: names.next(2, 3), neighbour: "", export: GOODS[r.int(GOODS.length)]!, founded: year(1000, 1699) });
  }
  for (let i = 0; i < countries; i++) {
    const j = (i + 1 + r.int(countries - 1)) % countries;
    cs[i]!.neighbour = cs[j]!.name;
  }
  const ks: Company[] = [];
  for (let i = 0; i < companies; i++) {
    const industry = INDUSTRIES[r.int(INDUSTRIES.length)]!;
    const suffix = SUFFIXES[r.int(SUFFIXES.length)]!;
    const head = names.next(2, 2);
    const founder = `${names.next(2, 2)} ${names.next(2, 3)}`;
    ks.push({
      kind: "company",
      name: `${head} ${industry} ${suffix}`,
      acronym: `${head[0]}${industry[0]}${suffix[0]}`,
      founder,
      founded: year(1700, 1999),
      hq: cs[r.int(countries)]!.capital,
      product: GOODS[r.int(GOODS.length)]!,
    });
  }
  return { countries: cs, companies: ks };
}
