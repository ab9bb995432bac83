// A small declarative CLI layer shared by every command: flags are declared once (name, type,
// default, help) and parsing, --help, --config files, --json/--debug and error reporting follow
// from the declaration, so every command behaves the same way.
//
// Rules (also in --help):
// - `--flag value`, `--flag=value`, `-s value`, `-s=value`; booleans: `--flag`, `--no-flag`,
//   `--flag=true|false`. `--` ends the flags. A repeated flag: the last one wins.
// - A value-taking flag takes the next argument unless it starts with "-" (negative numbers are
//   accepted for int/number flags); use `--flag=-x` for other values that start with "-".
// - Precedence: command line > --config file > declared default. Config keys are flag names;
//   null means "not set"; relative `path` values in a config file resolve against the file's
//   directory (so a config works from any working directory).
// - User errors are one line on stderr, `error: <what> (<where>); <what is accepted>`, exit 2.
//   With --json, a `{"ok":false,...}` line also goes to stdout so the last line stays JSON.

import * as fs from "node:fs";
import * as path from "node:path";

export type FlagType = "string" | "int" | "number" | "boolean" | "enum" | "path";
export type FlagValue = string | number | boolean;

export interface FlagSpec {
  /** Kebab-case name without dashes, e.g. "record" or "max-steps". */
  name: string;
  type: FlagType;
  help: string;
  default?: FlagValue;
  /** Allowed values of an enum flag. */
  values?: readonly string[];
  /** Inclusive bounds of int/number flags. */
  min?: number;
  max?: number;
  /** One letter, used as -x. */
  short?: string;
  /** Parsing fails when the flag is given neither on the command line nor in the config. */
  required?: boolean;
  /** What leaving a flag without default unset means, shown in --help as "default: <note>" (e.g. "the run's"). */
  defaultNote?: string;
}

export interface PositionalSpec {
  name: string;
  help: string;
  required?: boolean;
  /** The last positional may take all remaining arguments. */
  variadic?: boolean;
}

export interface CommandSpec {
  /** Command name as in `bun run NAME`. */
  name: string;
  summary: string;
  /** Replaces the generated usage line. */
  usage?: string;
  positionals?: PositionalSpec[];
  flags: FlagSpec[];
  examples?: string[];
  /** --config may also name a run folder's config.json, to rerun that run (train, simulate). */
  acceptsRunFolder?: boolean;
}

export interface ParsedArgs {
  /** Every declared flag by name: its value, or undefined when unset and without default. Booleans are never undefined. */
  flags: Record<string, FlagValue | undefined>;
  positionals: string[];
  json: boolean;
  debug: boolean;
  /** Flags set on the command line or in the --config file (not by a default). */
  given: ReadonlySet<string>;
  /**
   * A run folder's config.json passed as --config (a command that declares `acceptsRunFolder`
   * reruns that run's configuration): the file's path. Its keys are not flags.
   */
  runFolderConfig?: string;
}

/** A bad command line or config file. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
}

/** Bad input files and data. Exit code 2. */
export class InputError extends Error {
  override name = "InputError";
  readonly exitCode = 2;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  spec: CommandSpec;
  /** Parses, runs and reports; returns the exit code (never calls process.exit). */
  main(argv: string[], io?: Io): Promise<number>;
}

/** Flags every command has; a spec may not redeclare them. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: "config", type: "path", help: "read flags from a JSON object whose keys are flag names; command-line flags win" },
  { name: "json", type: "boolean", help: "print a JSON summary as the last line of output", default: false },
  { name: "debug", type: "boolean", help: "show stack traces on errors", default: false },
  { name: "help", type: "boolean", short: "h", help: "show this help and exit", default: false },
];

const RESERVED = new Set(COMMON_FLAGS.map((f) => f.name));

// ---------------------------------------------------------------------------------------------
// Spec checks (programming errors, thrown as plain Error when a command is defined)

function checkSpec(spec: CommandSpec): void {
  const names = new Set<string>();
  const shorts = new Set<string>(["h"]);
  for (const f of spec.flags) {
    const where = `command ${spec.name}, flag ${f.name}`;
    if (!/^[a-z][a-z0-9-]*$/.test(f.name)) throw new Error(`${where}: flag names are kebab-case`);
    if (RESERVED.has(f.name)) throw new Error(`${where}: --${f.name} is provided by every command`);
    if (f.name.startsWith("no-")) throw new Error(`${where}: a name starting with no- clashes with boolean negation`);
    if (names.has(f.name)) throw new Error(`${where}: declared twice`);
    names.add(f.name);
    if (f.short !== undefined) {
      if (!/^[a-zA-Z]$/.test(f.short) || shorts.has(f.short)) throw new Error(`${where}: bad or duplicate short name -${f.short}`);
      shorts.add(f.short);
    }
    if (f.type === "enum" && (!f.values || f.values.length === 0)) throw new Error(`${where}: an enum needs values`);
    if (f.defaultNote !== undefined && (f.default !== undefined || f.required)) throw new Error(`${where}: a default note is for a flag without default that is not required`);
    if (f.default !== undefined) {
      const native = f.type === "int" || f.type === "number" ? "number" : f.type === "boolean" ? "boolean" : "string";
      if (typeof f.default !== native) throw new Error(`${where}: bad default: ${JSON.stringify(f.default)} is not a ${native}`);
      try {
        coerce(f, f.default);
      } catch (e) {
        throw new Error(`${where}: bad default: ${(e as Error).message}`);
      }
    }
  }
  const pos = spec.positionals ?? [];
  pos.forEach((p, i) => {
    if (p.variadic && i !== pos.length - 1) throw new Error(`command ${spec.name}: only the last positional may be variadic`);
    if (p.required && i > 0 && !pos[i - 1]!.required) throw new Error(`command ${spec.name}: a required positional cannot follow an optional one`);
  });
}

// ---------------------------------------------------------------------------------------------
// Values

function quote(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return String(v);
}

/** What a flag accepts, e.g. "an integer >= 1" or "one of cpu, cuda". */
export function accepted(f: FlagSpec): string {
  const range = (): string => {
    if (f.min !== undefined && f.max !== undefined) return ` between ${f.min} and ${f.max}`;
    if (f.min !== undefined) return ` >= ${f.min}`;
    if (f.max !== undefined) return ` <= ${f.max}`;
    return "";
  };
  switch (f.type) {
    case "int":
      return `an integer${range()}`;
    case "number":
      return `a number${range()}`;
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${f.values!.join(", ")}`;
    case "path":
      return "a file path";
    case "string":
      return "a string";
  }
}

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Converts a command-line string or a config JSON value to the flag's type; throws UsageError. */
function coerce(f: FlagSpec, raw: unknown): FlagValue {
  const bad = (): never => {
    throw new UsageError(`--${f.name} must be ${accepted(f)}, got ${quote(raw)}`);
  };
  switch (f.type) {
    case "int":
    case "number": {
      let n: number;
      if (typeof raw === "number") n = raw;
      else if (typeof raw === "string" && (f.type === "int" ? INT_RE : NUM_RE).test(raw.trim())) n = Number(raw.trim());
      else return bad();
      if (!Number.isFinite(n) || (f.type === "int" && !Number.isSafeInteger(n))) bad();
      if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) bad();
      return n;
    }
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (raw === "true") return true;
      if (raw === "false") return false;
      return bad();
    case "enum":
      if (typeof raw !== "string" || !f.values!.includes(raw)) bad();
      return raw as string;
    case "path":
      if (typeof raw !== "string" || raw === "") bad();
      return raw as string;
    case "string":
      if (typeof raw !== "string") bad();
      return raw as string;
  }
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest declared name, if it is plausibly a typo. */
function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = distance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

// ---------------------------------------------------------------------------------------------
// Parsing

const allFlags = (spec: CommandSpec): FlagSpec[] => [...spec.flags, ...COMMON_FLAGS];
const helpHint = (spec: CommandSpec): string => `run 'bun run ${spec.name} --help' for the flags`;

function unknownFlag(spec: CommandSpec, arg: string): UsageError {
  const name = arg.replace(/^-+/, "").split("=")[0]!;
  const guess = closest(name, allFlags(spec).map((f) => f.name));
  const hint = guess ? `did you mean --${guess}? ` : "";
  return new UsageError(`unknown flag ${arg.split("=")[0]} (command ${spec.name}); ${hint}${helpHint(spec)}`);
}

/** True when argv asks for help (before any `--`). */
function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/** Whether `file` is a run folder's config.json (written by train or simulate), not a flags file. */
function isRunFolderConfig(file: string): boolean {
  try {
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null;
    return typeof data === "object" && data !== null && typeof data.command === "string" && typeof data.config === "object" && data.config !== null;
  } catch {
    return false; // readConfig says what is wrong with it
  }
}

function readConfig(spec: CommandSpec, file: string): Record<string, FlagValue> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (e as Error).message;
    throw new InputError(`cannot read config file ${file} (--config): ${why}; pass a JSON file whose keys are flag names`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const why = (e as Error).message.replace(/\s+/g, " ");
    throw new InputError(`config file ${file} is not valid JSON (${why}); expected a JSON object whose keys are flag names`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InputError(`config file ${file} must hold a JSON object, got ${quote(data)}; keys are flag names`);
  }
  const settable = allFlags(spec).filter((f) => f.name !== "help" && f.name !== "config");
  const out: Record<string, FlagValue> = {};
  for (const [key, value] of Object.entries(data)) {
    const f = settable.find((x) => x.name === key);
    if (!f) {
      const guess = closest(key, settable.map((x) => x.name));
      const hint = guess ? `did you mean "${guess}"? ` : "";
      throw new InputError(
        `unknown key "${key}" in config file ${file} (command ${spec.name}); ${hint}keys are flag names: ${settable.map((x) => x.name).join(", ")}`,
      );
    }
    if (value === null) continue;
    try {
      let v = coerce(f, value);
      if (f.type === "path" && typeof v === "string") v = path.resolve(path.dirname(file), v);
      out[key] = v;
    } catch (e) {
      throw new InputError(`${(e as Error).message} (config file ${file})`);
    }
  }
  return out;
}

/**
 * Parses argv against a spec. Returns "help" when --help/-h is present. Throws UsageError for a
 * bad command line and InputError for a bad config file.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs | "help" {
  if (wantsHelp(argv)) return "help";
  const flags = allFlags(spec);
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const cli = new Map<string, FlagValue>();
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = arg.indexOf("=");
    const name = arg.slice(long ? 2 : 1, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    let f = long ? byName.get(name) : byShort.get(name);
    if (!f && long && name.startsWith("no-") && inline === undefined) {
      const base = byName.get(name.slice(3));
      if (base?.type === "boolean") {
        cli.set(base.name, false);
        continue;
      }
      if (base) throw new UsageError(`--${name} is not accepted: --${base.name} is not a boolean flag (command ${spec.name}); it takes ${accepted(base)}`);
    }
    if (!f) throw unknownFlag(spec, arg);
    if (f.type === "boolean") {
      cli.set(f.name, inline === undefined ? true : coerce(f, inline));
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      const numeric = (f.type === "int" || f.type === "number") && next !== undefined && NUM_RE.test(next);
      if (next === undefined || next === "--" || (next.startsWith("-") && !numeric)) {
        throw new UsageError(`--${f.name} needs a value (command ${spec.name}); it takes ${accepted(f)}`);
      }
      raw = next;
      i++;
    }
    cli.set(f.name, coerce(f, raw));
  }

  const configFile = cli.get("config") as string | undefined;
  const runFolderConfig = configFile !== undefined && spec.acceptsRunFolder && isRunFolderConfig(configFile) ? configFile : undefined;
  const fromConfig = configFile === undefined || runFolderConfig ? {} : readConfig(spec, configFile);

  // Flags in declaration order, whatever order they were given in (the record is logged).
  const values: Record<string, FlagValue | undefined> = {};
  for (const f of spec.flags) {
    const v = cli.get(f.name) ?? fromConfig[f.name] ?? f.default ?? (f.type === "boolean" ? false : undefined);
    if (v === undefined && f.required) {
      throw new UsageError(`--${f.name} is required (command ${spec.name}); it takes ${accepted(f)}`);
    }
    values[f.name] = v;
  }

  const pos = spec.positionals ?? [];
  const last = pos.at(-1);
  if (positionals.length > pos.length && !last?.variadic) {
    const extra = positionals[pos.length]!;
    const takes = pos.length === 0 ? "it takes no positional arguments" : `it takes ${pos.map(posLabel).join(" ")}`;
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)} (command ${spec.name}); ${takes}`);
  }
  const missing = pos.find((p, i) => p.required && positionals[i] === undefined);
  if (missing) throw new UsageError(`missing ${posLabel(missing)} (command ${spec.name}); usage: ${usageLine(spec)}`);

  const json = cli.get("json") ?? fromConfig.json ?? false;
  const debug = cli.get("debug") ?? fromConfig.debug ?? false;
  const given = new Set(spec.flags.filter((f) => cli.has(f.name) || fromConfig[f.name] !== undefined).map((f) => f.name));
  const parsed: ParsedArgs = { flags: values, positionals, json: json === true, debug: debug === true, given, ...(runFolderConfig ? { runFolderConfig } : {}) };
  specs.set(parsed, spec);
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Help

function posLabel(p: PositionalSpec): string {
  const inner = `${p.name}${p.variadic ? "..." : ""}`;
  return p.required ? `<${inner}>` : `[${inner}]`;
}

function usageLine(spec: CommandSpec): string {
  if (spec.usage) return spec.usage;
  return [`bun run ${spec.name}`, "[flags]", ...(spec.positionals ?? []).map(posLabel)].join(" ");
}

function flagLabel(f: FlagSpec): string {
  const short = f.short ? `-${f.short}, ` : "";
  if (f.type === "boolean") return f.default === true ? `${short}--[no-]${f.name}` : `${short}--${f.name}`;
  const meta = f.type === "enum" ? f.values!.join("|") : f.type === "number" ? "num" : f.type;
  return `${short}--${f.name} <${meta}>`;
}

function flagDetails(f: FlagSpec): string {
  const notes: string[] = [];
  if (f.required) notes.push("required");
  if ((f.type === "int" || f.type === "number") && (f.min !== undefined || f.max !== undefined)) notes.push(accepted(f));
  if (f.default !== undefined && !(f.type === "boolean" && f.default === false)) notes.push(`default: ${String(f.default)}`);
  if (f.defaultNote !== undefined) notes.push(`default: ${f.defaultNote}`);
  return notes.length ? `${f.help} (${notes.join("; ")})` : f.help;
}

function table(rows: [string, string][]): string[] {
  const width = Math.min(32, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([l, r]) => (l.length > width ? `  ${l}\n  ${" ".repeat(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`));
}

/** The --help text: summary, usage, arguments, flags with types, defaults and allowed values, examples. */
export function helpText(spec: CommandSpec): string {
  const lines = [`${spec.name}: ${spec.summary}`, "", `Usage: ${usageLine(spec)}`];
  if (spec.positionals?.length) {
    lines.push("", "Arguments:", ...table(spec.positionals.map((p) => [posLabel(p), p.help])));
  }
  if (spec.flags.length) lines.push("", "Flags:", ...table(spec.flags.map((f) => [flagLabel(f), flagDetails(f)])));
  const common = COMMON_FLAGS.map((f): [string, string] => [f.name === "config" ? "--config <file>" : flagLabel(f), f.help]);
  lines.push("", "Common flags:", ...table(common));
  lines.push(
    "",
    "Flags take `--flag value` or `--flag=value`; booleans also `--no-flag`. Command-line flags override --config.",
  );
  if (spec.examples?.length) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Running

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function exitCodeOf(e: unknown): number | undefined {
  if (typeof e === "object" && e !== null && "exitCode" in e) {
    const c = (e as { exitCode: unknown }).exitCode;
    if (typeof c === "number" && Number.isInteger(c) && c > 0) return c;
  }
  return undefined;
}

/** File-system error codes that mean "this path, as given, does not work": bad input, exit 2. */
const PATH_ERRORS: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "it (or a folder on its path) is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  EEXIST: "it already exists",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
};

/** `{code: "ENOENT", path, syscall}` from node:fs: one line naming the path, exit 2. */
function pathError(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const { code, path: p, syscall } = e as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== "string" || typeof p !== "string" || !(code in PATH_ERRORS)) return undefined;
  const verb = syscall === "mkdir" ? "create folder" : /^(open|read|stat|lstat|scandir|opendir|access)$/.test(String(syscall)) ? "open" : "use";
  return `cannot ${verb} ${p}: ${PATH_ERRORS[code]}`;
}

/** JSON.parse's SyntaxError (Bun: "JSON Parse error: ...", V8: "Unexpected token ... in JSON"): bad input data. */
function isJsonError(e: unknown): boolean {
  return e instanceof SyntaxError && /JSON/.test(e.message);
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, " ").trim();

/**
 * Drops what a runtime's error print adds around a message: source lines (`12 | code`), carets,
 * stack frames (`at f (file:1:2)`). Only the message reaches a user without --debug.
 */
export function stripSourceAndStack(message: string): string {
  if (!/^\s*(\d+\s*\||at\s.+:\d+(:\d+)?\)?\s*$)/m.test(message)) return message;
  return message
    .split(/\r?\n/)
    .filter((l) => !/^\s*\d+\s*\|/.test(l) && !/^\s*\^+\s*$/.test(l) && !/^\s*at\s/.test(l))
    .join("\n");
}

/** Longest message shown without --debug; the rest is cut with "...". */
const MAX_MESSAGE = 1000;

/**
 * Reports any error the way every command does: one line `error: ...` on stderr (a JSON
 * `{"ok":false}` line on stdout with --json), the stack only with --debug. Returns the exit code:
 * the error's own `exitCode` (UsageError, InputError, LogError, ...: bad input, 2), 2 for a path
 * that does not work or a JSON file that does not parse, else 1 (a bug or the environment).
 */
export function reportError(e: unknown, o: { debug: boolean; json: boolean; io?: Io }): number {
  const io = o.io ?? defaultIo;
  const path = pathError(e);
  const code = exitCodeOf(e) ?? (path !== undefined || isJsonError(e) ? 2 : 1);
  const raw = path ?? (e instanceof Error ? e.message : String(e));
  let message = oneLine(stripSourceAndStack(raw)) || (e instanceof Error ? e.name : "unknown error");
  if (isJsonError(e) && path === undefined) message = `invalid JSON input (${message})`;
  if (!o.debug && message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 3)}...`;
  const line = message.startsWith("error:") ? message : `error: ${message}`;
  const hint = code === 1 && !o.debug ? " (run with --debug for the stack trace)" : "";
  io.err(line + hint);
  if (o.debug && e instanceof Error && e.stack) io.err(e.stack);
  if (o.json) io.out(JSON.stringify({ ok: false, error: message, exitCode: code }));
  return code;
}

/**
 * Wraps a command body: handles --help, parsing, and errors. Errors with an `exitCode` (UsageError,
 * InputError, LogError, CodecError, ...) are user errors: one line, that code. Anything else is a
 * bug or environment failure: one line and exit 1. --debug adds the stack trace in both cases.
 */
export function defineCommand(spec: CommandSpec, run: (args: ParsedArgs) => Promise<number | void>): Command {
  checkSpec(spec);
  return {
    spec,
    async main(argv, io = defaultIo) {
      // Known before parsing, so that a parse error honours them too.
      const dashed = argv.slice(0, argv.includes("--") ? argv.indexOf("--") : argv.length);
      let debug = dashed.includes("--debug");
      let json = dashed.includes("--json");
      try {
        const parsed = parseArgs(spec, argv);
        if (parsed === "help") {
          io.out(helpText(spec));
          return 0;
        }
        debug = parsed.debug;
        json = parsed.json;
        return (await run(parsed)) ?? 0;
      } catch (e) {
        return reportError(e, { debug, json, io });
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Typed accessors: they throw (a programming error) when the flag is not declared with that type.

const specs = new WeakMap<object, CommandSpec>();

function declared(args: ParsedArgs, name: string, types: readonly FlagType[]): FlagValue | undefined {
  // The common booleans live on ParsedArgs itself, not in flags (which commands may log as their config).
  if ((name === "json" || name === "debug") && types.includes("boolean")) return args[name];
  const spec = specs.get(args);
  if (spec) {
    const f = spec.flags.find((x) => x.name === name);
    if (!f) throw new Error(`flag --${name} is not declared by command ${spec.name}`);
    if (!types.includes(f.type)) throw new Error(`flag --${name} of command ${spec.name} is ${f.type}, not ${types.join("/")}`);
  } else if (!(name in args.flags)) {
    throw new Error(`flag --${name} is not declared`);
  }
  return args.flags[name];
}

function required<T>(args: ParsedArgs, name: string, v: T | undefined): T {
  if (v === undefined) {
    const where = specs.get(args) ? ` (command ${specs.get(args)!.name})` : "";
    throw new UsageError(`--${name} is required${where}`);
  }
  return v;
}

/** Value of a string, path or enum flag; undefined when unset. */
export function optStr(args: ParsedArgs, name: string): string | undefined {
  const v = declared(args, name, ["string", "path", "enum"]);
  if (v !== undefined && typeof v !== "string") throw new Error(`flag --${name} holds ${typeof v}, not a string`);
  return v;
}
/** Value of a string, path or enum flag; UsageError when unset. */
export function str(args: ParsedArgs, name: string): string {
  return required(args, name, optStr(args, name));
}
/** Value of an int flag; undefined when unset. */
export function optInt(args: ParsedArgs, name: string): number | undefined {
  const v = declared(args, name, ["int"]);
  if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v))) throw new Error(`flag --${name} holds ${String(v)}, not an integer`);
  return v;
}
/** Value of an int flag; UsageError when unset. */
export function int(args: ParsedArgs, name: string): number {
  return required(args, name, optInt(args, name));
}
/** Value of a number or int flag; undefined when unset. */
export function optNum(args: ParsedArgs, name: string): number | undefined {
  const v = declared(args, name, ["number", "int"]);
  if (v !== undefined && typeof v !== "number") throw new Error(`flag --${name} holds ${typeof v}, not a number`);
  return v;
}
/** Value of a number or int flag; UsageError when unset. */
export function num(args: ParsedArgs, name: string): number {
  return required(args, name, optNum(args, name));
}
/** Value of a boolean flag (false when unset). */
export function bool(args: ParsedArgs, name: string): boolean {
  const v = declared(args, name, ["boolean"]);
  if (v !== undefined && typeof v !== "boolean") throw new Error(`flag --${name} holds ${typeof v}, not a boolean`);
  return v ?? false;
}

/** Like oneOf, but undefined when the flag is unset. */
export function optOneOf<const T extends readonly string[]>(args: ParsedArgs, name: string, values: T): T[number] | undefined {
  return optStr(args, name) === undefined ? undefined : oneOf(args, name, values);
}

/** The enum flag's value narrowed to its declared values: `oneOf(args, "backend", ["cpu", "cuda"] as const)`. */
export function oneOf<const T extends readonly string[]>(args: ParsedArgs, name: string, values: T): T[number] {
  const v = str(args, name);
  if (!values.includes(v)) throw new Error(`flag --${name} holds ${JSON.stringify(v)}, not one of ${values.join(", ")}`);
  return v as T[number];
}
