// The run's own JSON-lines side files (completions.jsonl, eval.jsonl): read, append, and cut back
// for a resume. Rows are one JSON object per line; a torn last line (a crash mid-append) is dropped.

import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

export type Row = Record<string, unknown>;

/** The file's whole rows, in order; a line that is not a JSON object (a torn last one) ends the read. */
export function readRows(path: string): Row[] {
  if (!existsSync(path)) return [];
  const rows: Row[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      break;
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) break;
    rows.push(row as Row);
  }
  return rows;
}

/** Keeps only the rows `keep` accepts (written whole and renamed into place); returns them. */
export function cutRows(path: string, keep: (row: Row) => boolean): Row[] {
  if (!existsSync(path)) return [];
  const before = readFileSync(path, "utf8");
  const rows = readRows(path).filter(keep);
  const text = rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  if (text !== before) {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  return rows;
}

export function appendRows(path: string, rows: readonly Row[]): void {
  if (rows.length === 0) return;
  appendFileSync(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}
