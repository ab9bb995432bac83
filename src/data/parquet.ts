// Parquet corpora in the Hugging Face wikipedia layout (columns id, url, title, text), read with
// hyparquet (pure JS, snappy built in) one row group at a time, so memory follows the row group
// size rather than the file size.

import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { CorpusError } from "./corpus-io.ts";

export interface ParquetRow {
  /** 0-based row number in the file. */
  row: number;
  values: Record<string, unknown>;
}

export interface ParquetLayout {
  columns: string[];
  rows: number;
  rowGroups: number;
}

/** Rows of the named columns, row group by row group. Columns absent from the file are left out of `values`. */
export async function* parquetRows(
  path: string,
  wanted: readonly string[],
  required: string,
  onRowGroup?: (index: number, layout: ParquetLayout) => void,
): AsyncGenerator<ParquetRow> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new CorpusError(`${path} is not a readable Parquet file (${(e as Error).message}); accepted: a Parquet file with a string column "${required}"`);
  }
  // Top-level columns only: the wikipedia layout is flat.
  const columns: string[] = [];
  const top = metadata.schema[0]?.num_children ?? 0;
  for (let i = 1, seen = 0; i < metadata.schema.length && seen < top; seen++) {
    const el = metadata.schema[i]!;
    columns.push(el.name);
    i += skipSubtree(metadata.schema, i);
  }
  if (!columns.includes(required)) {
    throw new CorpusError(`${path} has no column "${required}" (columns: ${columns.join(", ") || "none"}); pass --text-field with the column that holds the text`);
  }
  const present = wanted.filter((c) => columns.includes(c));
  const layout: ParquetLayout = { columns, rows: Number(metadata.num_rows), rowGroups: metadata.row_groups.length };
  let rowStart = 0;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const n = Number(metadata.row_groups[g]!.num_rows);
    onRowGroup?.(g, layout);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, columns: present, rowStart, rowEnd: rowStart + n });
    } catch (e) {
      throw new CorpusError(`cannot read row group ${g} of ${path} (${(e as Error).message}); accepted: Parquet with snappy or uncompressed pages`);
    }
    for (let i = 0; i < rows.length; i++) yield { row: rowStart + i, values: rows[i]! };
    rowStart += n;
  }
}

/** Number of schema elements in the subtree rooted at index i (itself included). */
function skipSubtree(schema: readonly { num_children?: number }[], i: number): number {
  let count = 1;
  let pending = schema[i]?.num_children ?? 0;
  let j = i + 1;
  while (pending > 0 && j < schema.length) {
    const size = skipSubtree(schema, j);
    count += size;
    j += size;
    pending--;
  }
  return count;
}
