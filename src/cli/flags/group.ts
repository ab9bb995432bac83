// What every flag group shares: how a command adapts a group, and how a group's reader gets a value.
//
// A group (corpus, model, device, ...) is the flags of one concept, declared once. A command takes
// a group as it is, or adapts it only through the helpers below, so a flag's name, type, bounds and
// help stay the same in every command; what may differ (a default, required-ness, a subset) is
// visible at the call site and in --help.
//
// Readers follow one rule: a value comes from the flag when the command declares it and it is set
// (command line, --config, or its default); otherwise from the reader's `base`. That one rule covers
// a subset of a group (undeclared flags keep the base) and "default: the run's" (no default: the
// base is the run's value).

import { bool, optInt, optNum, optOneOf, optStr, type FlagSpec, type FlagValue, type ParsedArgs } from "../args.ts";

function checkNames(group: readonly FlagSpec[], names: readonly string[], helper: string): void {
  for (const n of names) {
    if (!group.some((f) => f.name === n)) throw new Error(`${helper}: --${n} is not in the group (${group.map((f) => f.name).join(", ")})`);
  }
}

/**
 * The group with other defaults for the named flags, for a command that genuinely needs them
 * (e.g. lm-pretrain's shorter passages). Only defaults change; defineCommand checks each value
 * against the flag's type and bounds.
 */
export function withDefaults(group: readonly FlagSpec[], defaults: Readonly<Record<string, FlagValue>>): FlagSpec[] {
  checkNames(group, Object.keys(defaults), "withDefaults");
  return group.map((f) => (f.name in defaults ? { ...f, default: defaults[f.name] } : f));
}

/**
 * The group with no defaults for the named flags (all when none are named), for a command whose
 * fallback depends on its input: `note` says what unset means in --help, e.g. "the run's".
 * Booleans always have a value, so they cannot be named.
 */
export function withoutDefaults(group: readonly FlagSpec[], note: string, ...names: string[]): FlagSpec[] {
  checkNames(group, names, "withoutDefaults");
  const named = (f: FlagSpec) => (names.length === 0 ? f.type !== "boolean" : names.includes(f.name));
  for (const f of group) if (named(f) && f.type === "boolean") throw new Error(`withoutDefaults: --${f.name} is a boolean; it always has a value`);
  return group.map((f) => {
    if (!named(f)) return f;
    const { default: _default, ...rest } = f;
    return { ...rest, defaultNote: note };
  });
}

/** The group with the named flags required (and without defaults), e.g. score's --model. */
export function requiredFlags(group: readonly FlagSpec[], ...names: string[]): FlagSpec[] {
  checkNames(group, names, "requiredFlags");
  return group.map((f) => {
    if (!names.includes(f.name)) return f;
    const { default: _default, ...rest } = f;
    return { ...rest, required: true };
  });
}

/** The named flags of a group, in the group's order, for a command that takes only part of it. */
export function pickFlags(group: readonly FlagSpec[], ...names: string[]): FlagSpec[] {
  checkNames(group, names, "pickFlags");
  return group.filter((f) => names.includes(f.name));
}

// Values for readers: undefined when the command does not declare the flag or leaves it unset.

const declares = (args: ParsedArgs, name: string): boolean => Object.hasOwn(args.flags, name);

export function groupStr(args: ParsedArgs, name: string): string | undefined {
  return declares(args, name) ? optStr(args, name) : undefined;
}
export function groupInt(args: ParsedArgs, name: string): number | undefined {
  return declares(args, name) ? optInt(args, name) : undefined;
}
export function groupNum(args: ParsedArgs, name: string): number | undefined {
  return declares(args, name) ? optNum(args, name) : undefined;
}
export function groupBool(args: ParsedArgs, name: string): boolean | undefined {
  return declares(args, name) ? bool(args, name) : undefined;
}
export function groupOneOf<const T extends readonly string[]>(args: ParsedArgs, name: string, values: T): T[number] | undefined {
  return declares(args, name) ? optOneOf(args, name, values) : undefined;
}
