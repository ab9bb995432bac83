// Seeded small Python programs in Absolute Zero's triplet format, for pretraining a tiny model so
// that its self-play proposals parse and run (arXiv 2505.03335 §3 starts from a base model that
// already knows code). Each program comes from a template with random names and constants, with
// INDUCTION_INPUTS distinct inputs; outputs are NOT computed here: run them through the sandbox
// with validateBatch (synthetic-documents.ts), so every triplet is one a proposal would yield.

import { rng, type Rng } from "../../runtime/rng.ts";
import { INDUCTION_INPUTS, type Proposal } from "./types.ts";

/** A program before execution: its source, distinct inputs (f's argument lists) and a one-line description. */
export interface SyntheticProgram {
  program: string;
  inputs: string[];
  message: string;
}

const VARS = ["x", "n", "k", "v", "a", "b", "m", "t", "y", "z", "val", "num", "item", "cur", "acc", "total", "res", "out", "s", "w"];
const LISTS = ["nums", "xs", "arr", "lst", "items", "values", "data", "seq", "a", "numbers"];
const STRS = ["s", "text", "word", "name", "msg", "st", "line", "chars"];
const WORDS = ["apple", "banana", "cat", "dog", "hello", "world", "python", "code", "data", "zero", "alpha", "beta", "river", "stone", "tree", "moon", "sun", "star", "blue", "red", "green", "abc", "xyz", "level", "noon", "queue", "stack", "graph", "node", "edge"];

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[r.int(xs.length)]!;
const between = (r: Rng, lo: number, hi: number): number => lo + r.int(hi - lo + 1);
/** Two different names from a list. */
function names2(r: Rng, xs: readonly string[]): [string, string] {
  const a = pick(r, xs);
  let b = pick(r, xs);
  while (b === a) b = pick(r, xs);
  return [a, b];
}

const intList = (r: Rng, lo = -9, hi = 20, minLen = 0, maxLen = 7): string =>
  `[${Array.from({ length: between(r, minLen, maxLen) }, () => between(r, lo, hi)).join(", ")}]`;
const word = (r: Rng): string => pick(r, WORDS);
const strLit = (r: Rng): string => {
  const k = r.int(4);
  const s = k === 0 ? word(r) : k === 1 ? `${word(r)} ${word(r)}` : k === 2 ? `${word(r)}${between(r, 0, 99)}` : word(r).toUpperCase().slice(0, between(r, 1, 5)) + word(r);
  return `'${s}'`;
};

/** INDUCTION_INPUTS distinct inputs from a drawer (a few more tries than needed; duplicates dropped). */
function distinct(r: Rng, draw: (r: Rng) => string): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < 200 && seen.size < INDUCTION_INPUTS; i++) seen.add(draw(r));
  return [...seen];
}

type Template = (r: Rng) => SyntheticProgram;

const T: Template[] = [
  // Arithmetic on one integer.
  (r) => {
    const x = pick(r, VARS);
    const [p, q] = [between(r, 2, 9), between(r, -10, 10)];
    const op = pick(r, ["+", "-", "*"]);
    return { program: `def f(${x}):\n    return ${x} * ${p} ${op} ${q}`, inputs: distinct(r, (r) => `${between(r, -20, 50)}`), message: `Multiply the number by ${p}, then apply ${op} ${q}.` };
  },
  // Conditional on an integer.
  (r) => {
    const x = pick(r, VARS);
    const [c, a, b] = [between(r, 0, 20), between(r, 1, 9), between(r, 1, 9)];
    const cmp = pick(r, [">", "<", ">=", "<="]);
    return {
      program: `def f(${x}):\n    if ${x} ${cmp} ${c}:\n        return ${x} + ${a}\n    else:\n        return ${x} - ${b}`,
      inputs: distinct(r, (r) => `${between(r, -10, 40)}`),
      message: `Add ${a} when the number is ${cmp} ${c}, otherwise subtract ${b}.`,
    };
  },
  // Even/odd and modulo.
  (r) => {
    const x = pick(r, VARS);
    const m = between(r, 2, 7);
    const k = between(r, 1, 5);
    return {
      program: `def f(${x}):\n    if ${x} % ${m} == 0:\n        return ${x} // ${m}\n    return ${x} * ${k} + 1`,
      inputs: distinct(r, (r) => `${between(r, 0, 60)}`),
      message: `Divide by ${m} when divisible, otherwise multiply by ${k} and add 1.`,
    };
  },
  // Loop summing a range.
  (r) => {
    const [n, i] = names2(r, ["n", "k", "m", "limit", "i", "j", "count"]);
    const acc = pick(r, ["total", "acc", "s", "res"]);
    const step = between(r, 1, 3);
    const term = pick(r, [i, `${i} * ${i}`, `${i} * 2`, `${i} % 3`]);
    return {
      program: `def f(${n}):\n    ${acc} = 0\n    for ${i} in range(0, ${n}, ${step}):\n        ${acc} += ${term}\n    return ${acc}`,
      inputs: distinct(r, (r) => `${between(r, 0, 30)}`),
      message: `Sum ${term} over a range up to the number in steps of ${step}.`,
    };
  },
  // List comprehension with filter.
  (r) => {
    const [xs, x] = [pick(r, LISTS), pick(r, ["x", "v", "n", "e", "y"])];
    const expr = pick(r, [`${x} * ${between(r, 2, 5)}`, `${x} + ${between(r, 1, 9)}`, `${x} * ${x}`, `${x} - ${between(r, 1, 5)}`, `abs(${x})`]);
    const cond = pick(r, [`${x} % 2 == 0`, `${x} % 2 == 1`, `${x} > ${between(r, 0, 10)}`, `${x} < ${between(r, 0, 10)}`, `${x} != 0`]);
    return {
      program: `def f(${xs}):\n    return [${expr} for ${x} in ${xs} if ${cond}]`,
      inputs: distinct(r, (r) => intList(r)),
      message: `Keep the elements where ${cond} and map them to ${expr}.`,
    };
  },
  // Aggregate of a list.
  (r) => {
    const xs = pick(r, LISTS);
    const [body, msg] = pick(r, [
      [`return sum(${xs}) - max(${xs}, default=0)`, "Sum of the list minus its largest element."],
      [`return sorted(${xs})[::-1]`, "The list sorted in descending order."],
      [`return len(set(${xs}))`, "Number of distinct elements."],
      [`return [${xs}[i] + ${xs}[i + 1] for i in range(len(${xs}) - 1)]`, "Sums of neighbouring pairs."],
      [`return ${xs}[::2] + ${xs}[1::2]`, "Even positions first, then odd positions."],
      [`return sorted(set(${xs}))`, "The distinct elements in ascending order."],
      [`return (min(${xs}, default=0), max(${xs}, default=0))`, "The smallest and the largest element."],
    ] as const);
    return { program: `def f(${xs}):\n    ${body}`, inputs: distinct(r, (r) => intList(r)), message: msg };
  },
  // Loop with running state over a list.
  (r) => {
    const [xs, x] = [pick(r, LISTS), pick(r, ["x", "v", "n", "e"])];
    const [best, k] = [pick(r, ["best", "cur", "m", "acc"]), between(r, 1, 5)];
    return {
      program: `def f(${xs}):\n    ${best} = 0\n    for ${x} in ${xs}:\n        if ${x} > ${best}:\n            ${best} = ${x} + ${k}\n        else:\n            ${best} -= 1\n    return ${best}`,
      inputs: distinct(r, (r) => intList(r, -5, 15, 1, 7)),
      message: `Walk the list keeping a running value: jump to x + ${k} on a larger element, else decrease by 1.`,
    };
  },
  // String transforms.
  (r) => {
    const s = pick(r, STRS);
    const [body, msg] = pick(r, [
      [`return ${s}[::-1]`, "Reverse the string."],
      [`return ${s}.upper() + '${word(r)}'`, "Upper-case the string and append a word."],
      [`return ${s}.replace('${pick(r, ["a", "e", "o", " "])}', '${pick(r, ["_", "*", "", "-"])}')`, "Replace one character everywhere."],
      [`return len(${s}) * ${between(r, 2, 5)}`, "A multiple of the length."],
      [`return ''.join(sorted(${s}))`, "The characters in sorted order."],
      [`return ${s}[${between(r, 0, 3)}:] + ${s}[:${between(r, 0, 3)}]`, "Rotate the string."],
      [`return ${s} == ${s}[::-1]`, "Whether the string is a palindrome."],
      [`return [c for c in ${s} if c not in 'aeiou']`, "The characters that are not vowels."],
      [`return ${s}.split()`, "Split into words."],
      [`return '-'.join(w.capitalize() for w in ${s}.split())`, "Capitalize the words and join them with dashes."],
    ] as const);
    return { program: `def f(${s}):\n    ${body}`, inputs: distinct(r, strLit), message: msg };
  },
  // Counting characters into a dict.
  (r) => {
    const [s, d] = [pick(r, STRS), pick(r, ["counts", "d", "freq", "seen", "table"])];
    const c = pick(r, ["c", "ch", "letter"]);
    return {
      program: `def f(${s}):\n    ${d} = {}\n    for ${c} in ${s}:\n        ${d}[${c}] = ${d}.get(${c}, 0) + 1\n    return ${d}`,
      inputs: distinct(r, strLit),
      message: "Count how often each character occurs.",
    };
  },
  // Dict comprehension / lookups.
  (r) => {
    const xs = pick(r, LISTS);
    const k = between(r, 2, 6);
    return {
      program: `def f(${xs}):\n    return {x: x % ${k} for x in ${xs}}`,
      inputs: distinct(r, (r) => intList(r, 0, 30)),
      message: `Map each element to its remainder modulo ${k}.`,
    };
  },
  // Two arguments.
  (r) => {
    const [xs, n] = [pick(r, LISTS), pick(r, ["n", "k", "t", "limit"])];
    const [body, msg] = pick(r, [
      [`return [x for x in ${xs} if x > ${n}]`, "The elements larger than the threshold."],
      [`return ${xs}[${n}:] + ${xs}[:${n}]`, "Rotate the list left by the count."],
      [`return [x * ${n} for x in ${xs}]`, "Scale every element."],
      [`return sum(1 for x in ${xs} if x == ${n})`, "How often the value occurs."],
    ] as const);
    return { program: `def f(${xs}, ${n}):\n    ${body}`, inputs: distinct(r, (r) => `${intList(r, 0, 9)}, ${between(r, 0, 5)}`), message: msg };
  },
  // String and integer.
  (r) => {
    const [s, n] = [pick(r, STRS), pick(r, ["n", "k", "times", "width"])];
    const [body, msg] = pick(r, [
      [`return ${s} * ${n}`, "Repeat the string."],
      [`return ${s}[:${n}]`, "The first characters of the string."],
      [`return [${s}[i:i + ${n}] for i in range(0, len(${s}), ${n})]`, "Cut the string into pieces of the given width."],
      [`return ''.join(chr((ord(c) - 97 + ${n}) % 26 + 97) if c.islower() else c for c in ${s})`, "Shift lowercase letters by the count (a Caesar cipher)."],
    ] as const);
    return { program: `def f(${s}, ${n}):\n    ${body}`, inputs: distinct(r, (r) => `${strLit(r)}, ${between(r, 1, 4)}`), message: msg };
  },
  // While loop.
  (r) => {
    const [n, c] = names2(r, ["n", "x", "steps", "count", "k"]);
    const d = between(r, 2, 4);
    return {
      program: `def f(${n}):\n    ${c} = 0\n    while ${n} > 1:\n        ${n} = ${n} // ${d}\n        ${c} += 1\n    return ${c}`,
      inputs: distinct(r, (r) => `${between(r, 0, 500)}`),
      message: `How many times the number can be divided by ${d} before it drops to 1.`,
    };
  },
  // A helper function composed with f.
  (r) => {
    const [g, x] = [pick(r, ["g", "helper", "step", "double", "twist"]), pick(r, ["x", "v", "n"])];
    const [a, b] = [between(r, 2, 5), between(r, 1, 9)];
    const xs = pick(r, LISTS);
    return {
      program: `def ${g}(${x}):\n    return ${x} * ${a} - ${b}\n\ndef f(${xs}):\n    return [${g}(${x}) for ${x} in ${xs} if ${g}(${x}) > 0]`,
      inputs: distinct(r, (r) => intList(r, -5, 10)),
      message: `Apply x * ${a} - ${b} to each element and keep the positive results.`,
    };
  },
  // Tuples and sorting with a key.
  (r) => {
    const xs = pick(r, ["pairs", "items", "rows", "entries"]);
    const key = pick(r, ["p[1]", "-p[0]", "p[0] + p[1]", "(p[1], p[0])"]);
    const draw = (r: Rng) => `[${Array.from({ length: between(r, 1, 4) }, () => `(${between(r, 0, 9)}, ${between(r, 0, 9)})`).join(", ")}]`;
    return { program: `def f(${xs}):\n    return sorted(${xs}, key=lambda p: ${key})`, inputs: distinct(r, draw), message: `Sort the pairs by ${key}.` };
  },
  // Nested list.
  (r) => {
    const g = pick(r, ["grid", "rows", "matrix", "m"]);
    const draw = (r: Rng) => {
      const w = between(r, 1, 3);
      return `[${Array.from({ length: between(r, 1, 3) }, () => `[${Array.from({ length: w }, () => between(r, 0, 9)).join(", ")}]`).join(", ")}]`;
    };
    const [body, msg] = pick(r, [
      [`return [sum(row) for row in ${g}]`, "The sum of each row."],
      [`return [list(col) for col in zip(*${g})]`, "The transpose."],
      [`return max(max(row) for row in ${g})`, "The largest value."],
      [`return [x for row in ${g} for x in row]`, "Flatten the rows."],
    ] as const);
    return { program: `def f(${g}):\n    ${body}`, inputs: distinct(r, draw), message: msg };
  },
  // Recursion.
  (r) => {
    const n = pick(r, ["n", "k", "x"]);
    const [a, b] = [between(r, 0, 3), between(r, 1, 3)];
    return {
      program: `def f(${n}):\n    if ${n} <= ${b}:\n        return ${n} + ${a}\n    return f(${n} - 1) + f(${n} - 2)`,
      inputs: distinct(r, (r) => `${between(r, 0, 15)}`),
      message: `A Fibonacci-like recursion: small numbers return themselves plus ${a}.`,
    };
  },
];

/** Mixes two single-argument integer bodies: a template composed of others, as a longer program. */
function composed(r: Rng): SyntheticProgram {
  const xs = pick(r, LISTS);
  const [acc, x] = [pick(r, ["total", "acc", "res", "out"]), pick(r, ["x", "v", "n"])];
  const [a, m, c] = [between(r, 1, 5), between(r, 2, 4), between(r, 0, 9)];
  return {
    program: `def f(${xs}):\n    ${acc} = []\n    for i, ${x} in enumerate(${xs}):\n        if i % ${m} == 0:\n            ${acc}.append(${x} * ${a})\n        elif ${x} > ${c}:\n            ${acc}.append(${x} - i)\n    return ${acc}`,
    inputs: distinct(r, (r) => intList(r, 0, 15)),
    message: `Scale every ${m}th element by ${a}; keep other elements above ${c} minus their index.`,
  };
}

/** The i-th synthetic program of a seed: a pure function of (seed, i). */
export function syntheticProgram(seed: number, i: number): SyntheticProgram {
  const r = rng({ seed, step: 0, role: "azr-synthetic", item: i });
  const k = r.int(T.length + 1);
  return k === T.length ? composed(r) : T[k]!(r);
}

/** The program as an induction proposal (all its inputs and its message): validating it runs every input. */
export function syntheticProposal(p: SyntheticProgram): Proposal {
  return { type: "induction", program: p.program, inputs: [...p.inputs], message: p.message };
}
