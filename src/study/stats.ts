// Statistics of a study: means over seeds with 95% intervals (Student t, or a seeded percentile
// bootstrap), and differences between methods (paired by seed when they share seeds, else Welch).
// Pure functions; the t quantile is computed here (regularized incomplete beta), not looked up.

import { rng } from "../runtime/rng.ts";

export type CiKind = "t" | "bootstrap";

/** A 95% interval around a mean or a difference; `lo`/`hi` are null when it is undefined (n < 2). */
export interface Interval {
  n: number;
  mean: number;
  lo: number | null;
  hi: number | null;
  /** Half the width (t: the margin of error; bootstrap: the larger distance from the mean, as the percentile interval may be skewed). */
  halfWidth: number | null;
  /** "t", "bootstrap", "paired-t", "welch-t", "paired-bootstrap", "unpaired-bootstrap", "exact" (no variance: a deterministic value), or "n=1". */
  method: string;
  /** Welch or t degrees of freedom, when a t interval was used. */
  df?: number;
  /** Standard deviation of the values (sample, n-1). */
  std?: number;
}

export const CONFIDENCE = 0.95;

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (divides by n-1); NaN for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  // Exactly 0 for equal values (the mean's rounding would leave ~1e-17 otherwise).
  if (xs.every((x) => x === xs[0])) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

// --- Student t ------------------------------------------------------------------------------

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast on the side of the mean; use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (p in (0, 1)), by bisection on the CDF. */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile needs 0 < p < 1, got ${p}`);
  if (!(df > 0)) throw new RangeError(`tQuantile needs df > 0, got ${df}`);
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const T_P = 1 - (1 - CONFIDENCE) / 2;

/** mean ± t_{0.975, df} · se; zero width when se is 0 (every value equal). */
function tAround(n: number, m: number, se: number, df: number, method: string, std?: number): Interval {
  const sd = std === undefined ? {} : { std };
  if (se === 0) return { n, mean: m, lo: m, hi: m, halfWidth: 0, method, df, ...sd };
  const h = tQuantile(T_P, df) * se;
  return { n, mean: m, lo: m - h, hi: m + h, halfWidth: h, method, df, ...sd };
}

const undefinedInterval = (xs: readonly number[]): Interval => ({ n: xs.length, mean: xs.length ? mean(xs) : NaN, lo: null, hi: null, halfWidth: null, method: "n=1" });

/** Student-t 95% interval of the mean: mean ± t_{0.975, n-1} · s/√n. Undefined for n < 2. */
export function tInterval(xs: readonly number[]): Interval {
  if (xs.length < 2) return undefinedInterval(xs);
  const s = sampleStd(xs);
  return tAround(xs.length, mean(xs), s / Math.sqrt(xs.length), xs.length - 1, "t", s);
}

// --- Bootstrap ------------------------------------------------------------------------------

export interface BootstrapOptions {
  samples: number;
  seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { samples: 10_000, seed: 0 };

/** Linear-interpolated quantile (type 7) of sorted values. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const i = Math.floor(h);
  const j = Math.min(i + 1, sorted.length - 1);
  return sorted[i]! + (h - i) * (sorted[j]! - sorted[i]!);
}

function percentileInterval(n: number, m: number, stats: number[], method: string, std?: number): Interval {
  stats.sort((a, b) => a - b);
  const lo = quantileSorted(stats, (1 - CONFIDENCE) / 2);
  const hi = quantileSorted(stats, T_P);
  return { n, mean: m, lo, hi, halfWidth: Math.max(m - lo, hi - m), method, ...(std === undefined ? {} : { std }) };
}

/** Percentile bootstrap 95% interval of the mean: resample the values with replacement, seeded by `label`. */
export function bootstrapInterval(xs: readonly number[], label: string, o: BootstrapOptions = DEFAULT_BOOTSTRAP): Interval {
  if (xs.length < 2) return undefinedInterval(xs);
  const r = rng({ seed: o.seed, step: 0, role: "study-bootstrap", item: label });
  const stats: number[] = [];
  for (let b = 0; b < o.samples; b++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[r.int(xs.length)]!;
    stats.push(s / xs.length);
  }
  return percentileInterval(xs.length, mean(xs), stats, "bootstrap", sampleStd(xs));
}

/** The interval of a mean by the chosen kind. */
export function meanInterval(xs: readonly number[], kind: CiKind, label: string, o: BootstrapOptions = DEFAULT_BOOTSTRAP): Interval {
  return kind === "t" ? tInterval(xs) : bootstrapInterval(xs, label, o);
}

// --- Differences ----------------------------------------------------------------------------

/** Values of one method by seed. */
export type BySeed = ReadonlyMap<number, number>;

/**
 * A − B. When both were measured on the same seeds, the paired difference by seed: the interval of
 * the mean of d_s = A_s − B_s (t with n−1 df, or a bootstrap of the d_s). Otherwise Welch's
 * interval: (mean A − mean B) ± t_{0.975, ν} · √(s²A/nA + s²B/nB) with the Welch–Satterthwaite ν
 * (or a bootstrap resampling A and B independently).
 */
export function difference(a: BySeed, b: BySeed, kind: CiKind, label: string, o: BootstrapOptions = DEFAULT_BOOTSTRAP): Interval {
  const seedsA = [...a.keys()].sort((x, y) => x - y);
  const paired = seedsA.length === b.size && seedsA.every((s) => b.has(s));
  if (paired) {
    const d = seedsA.map((s) => a.get(s)! - b.get(s)!);
    const iv = meanInterval(d, kind, label, o);
    return { ...iv, method: iv.method === "n=1" ? "n=1" : `paired-${iv.method}` };
  }
  const xa = [...a.values()];
  const xb = [...b.values()];
  const diff = mean(xa) - mean(xb);
  if (xa.length < 2 || xb.length < 2) return { n: Math.min(xa.length, xb.length), mean: diff, lo: null, hi: null, halfWidth: null, method: "n=1" };
  if (kind === "t") return welchInterval(xa, xb);
  const r = rng({ seed: o.seed, step: 0, role: "study-bootstrap", item: label });
  const stats: number[] = [];
  for (let i = 0; i < o.samples; i++) {
    let sa = 0;
    let sb = 0;
    for (let j = 0; j < xa.length; j++) sa += xa[r.int(xa.length)]!;
    for (let j = 0; j < xb.length; j++) sb += xb[r.int(xb.length)]!;
    stats.push(sa / xa.length - sb / xb.length);
  }
  return percentileInterval(Math.min(xa.length, xb.length), diff, stats, "unpaired-bootstrap");
}

/** Welch's t interval of mean(A) − mean(B) for unpaired samples (each of at least two values). */
export function welchInterval(xa: readonly number[], xb: readonly number[]): Interval {
  const va = sampleStd(xa) ** 2 / xa.length;
  const vb = sampleStd(xb) ** 2 / xb.length;
  const se = Math.sqrt(va + vb);
  const df = se === 0 ? xa.length + xb.length - 2 : (va + vb) ** 2 / (va ** 2 / (xa.length - 1) + vb ** 2 / (xb.length - 1));
  return tAround(Math.min(xa.length, xb.length), mean(xa) - mean(xb), se, df, "welch-t");
}

/** Whether a defined interval lies entirely on one side of 0. */
export function excludesZero(iv: Interval): boolean {
  return iv.lo !== null && iv.hi !== null && (iv.lo > 0 || iv.hi < 0);
}
