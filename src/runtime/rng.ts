// Counter-based randomness (Philox4x32-10, Salmon et al. 2011, as in Random123 / JAX / cuRAND).
// Every draw is a pure function of (run seed, step, role, item, sample, counter): no hidden state
// survives between requests, so the order in which workers run never changes a result.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Low 32 bits of a 32x32 unsigned product; the high half is left in `mulHi`. No allocation, no BigInt. */
let mulHi = 0;
function mulLo(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const hilo = aHi * bLo;
  const lohi = aLo * bHi;
  const cross = (lolo >>> 16) + (hilo & 0xffff) + lohi;
  mulHi = (aHi * bHi + (hilo >>> 16) + Math.floor(cross / 0x10000)) >>> 0;
  return ((cross << 16) | (lolo & 0xffff)) >>> 0;
}

/** One Philox4x32-10 block: 4 random uint32 from a 128-bit counter and a 64-bit key. */
export function philox4x32(counter: readonly [number, number, number, number], key: readonly [number, number]): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    const lo0 = mulLo(M0, c0);
    const hi0 = mulHi;
    const lo1 = mulLo(M1, c2);
    const hi1 = mulHi;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return Uint32Array.of(c0, c1, c2, c3);
}

/** FNV-1a over a string: turns role names and item keys into counter words. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface RngKey {
  seed: number;
  step: number;
  role: string;
  item: string | number;
  sample?: number;
}

/** A stream of draws for one (seed, step, role, item, sample) key. */
export class Rng {
  private readonly key: [number, number];
  private readonly c1: number;
  private readonly c2: number;
  private block = 0;
  private buf: Uint32Array = new Uint32Array(4);
  private used = 4;

  constructor(k: RngKey) {
    const seed = k.seed >>> 0;
    this.key = [seed, hashString(k.role)];
    this.c1 = k.step >>> 0;
    this.c2 = (typeof k.item === "number" ? k.item >>> 0 : hashString(k.item)) ^ Math.imul((k.sample ?? 0) + 1, 0x9e3779b1);
  }

  /** Uniform uint32. */
  u32(): number {
    if (this.used === 4) {
      this.buf = philox4x32([this.block, this.c1, this.c2 >>> 0, 0x5eed], this.key);
      this.block++;
      this.used = 0;
    }
    return this.buf[this.used++]!;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new RangeError(`Rng.int needs n > 0, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    let u = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }
}

export function rng(k: RngKey): Rng {
  return new Rng(k);
}
