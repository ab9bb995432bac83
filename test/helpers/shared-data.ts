// The real dump beside the repository (../shared/data) is for tests only and never committed.
// A fresh clone has no ../shared/: tests that need it skip and say why, once per file.

import { existsSync } from "node:fs";
import { join } from "node:path";

export const ENWIKI_SAMPLE = join(import.meta.dir, "..", "..", "..", "shared", "data", "enwiki-sample-pages-articles.xml.bz2");

/** True when the dump is absent; prints the reason for the file that asks. */
export function sharedDataMissing(who: string): boolean {
  if (existsSync(ENWIKI_SAMPLE)) return false;
  console.log(`skip (${who}): ${ENWIKI_SAMPLE} is absent (a fresh clone has no ../shared/data); CI has it`);
  return true;
}
