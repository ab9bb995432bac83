import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/** The project folder (where package.json is), so shipped files resolve from any working directory. */
export const PROJECT_ROOT = resolve(import.meta.dir, "../..");

/** A path as given when it exists from here, else the shipped file of that name under the project. */
export function shippedPath(p: string): string {
  if (isAbsolute(p) || existsSync(p)) return p;
  const shipped = join(PROJECT_ROOT, p);
  return existsSync(shipped) ? shipped : p;
}
