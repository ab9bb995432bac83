// Structural checks of wire messages. Every message type (the runtime's own and each task's) is
// declared as a field table built from these checks; the codec validates each envelope against it,
// so a malformed message fails with a one-line error naming the field.

import { ACTOR_IDS } from "./messages.ts";

/** A message or value that cannot be decoded or does not have the protocol's shape. Exit code 2 for CLIs. */
export class CodecError extends Error {
  override name = "CodecError";
  readonly exitCode = 2;
}


/**
 * Checks take the path of the value for the error message. Validation first runs with path null,
 * building no path strings (most of its cost on large messages); only a failure re-runs it with
 * paths to name the field.
 */
export type Path = string | null;
export type Check = (value: unknown, path: Path) => void;
export const RETRY_WITH_PATHS = new Error("retry with paths");
const at = (p: Path, key: string): Path => (p === null ? null : `${p}.${key}`);
const item = (p: Path, i: number): Path => (p === null ? null : `${p}[${i}]`);
export interface OptionalCheck {
  optional: true;
  check: Check;
}
export type FieldCheck = Check | OptionalCheck;

export function fail(path: Path, expected: string, got: unknown): never {
  if (path === null) throw RETRY_WITH_PATHS;
  if (got === undefined) throw new CodecError(`malformed message: field ${path} is missing; expected ${expected}`);
  throw new CodecError(`malformed message: field ${path} must be ${expected}, got ${describe(got)}`);
}

/** Short human description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${"length" in v ? String(v.length) : v.byteLength})`;
  if (typeof v === "object") {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return "a map";
    return `a ${(v as object).constructor?.name ?? "value"}`;
  }
  return typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export const opt = (check: Check): OptionalCheck => ({ optional: true, check });

export const str: Check = (v, p) => {
  if (typeof v !== "string") fail(p, "a string", v);
};
export const num: Check = (v, p) => {
  if (typeof v !== "number") fail(p, "a number", v);
};
export const nat: Check = (v, p) => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(p, "a non-negative integer", v);
};
export const strOrNull: Check = (v, p) => {
  if (v !== null && typeof v !== "string") fail(p, "a string or null", v);
};
export const oneOf =
  (values: readonly string[]): Check =>
  (v, p) => {
    if (typeof v !== "string" || !values.includes(v)) fail(p, `one of ${values.join(", ")}`, v);
  };
export const role = oneOf(["generator", "predictor"]);
export const actor = oneOf(ACTOR_IDS);
export const int32Array: Check = (v, p) => {
  if (!(v instanceof Int32Array)) fail(p, "an Int32Array", v);
};
export const float32Array: Check = (v, p) => {
  if (!(v instanceof Float32Array)) fail(p, "a Float32Array", v);
};
export const arrayOf =
  (check: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) fail(p, "an array", v);
    for (let i = 0; i < v.length; i++) check(v[i], item(p, i));
  };

export function checkFields(obj: Record<string, unknown>, fields: Record<string, FieldCheck>, path: Path): void {
  for (const key in fields) {
    const f = fields[key]!;
    const value = obj[key];
    if (typeof f === "function") f(value, at(path, key));
    else if (value !== undefined) f.check(value, at(path, key));
  }
}

/** Field table for T: the mapped type makes tsc fail here when messages.ts gains or loses a field. */
export type Fields<T> = { [K in keyof T]-?: undefined extends T[K] ? OptionalCheck : Check };

export function shape<T>(fields: Fields<T>): Check {
  const table = fields as Record<string, FieldCheck>;
  return (v, p) => {
    if (!isPlainObject(v)) fail(p, "a map", v);
    checkFields(v, table, p);
  };
}

