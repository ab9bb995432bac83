// The embedded default corpus as documents: one per Factbook entry (country file), so that the
// held-out split can be by document. Paragraphs are the "text" leaves, split at the Factbook's
// "++" marks, cleaned the same way factbookPassages() cleans them.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanText, factbookFiles } from "./factbook.ts";

export interface FactbookDocument {
  id: string;
  title: string;
  text: string;
}

/** Entries in sorted file order ("europe/fr", ...). */
export function factbookDocuments(): FactbookDocument[] {
  const { root, files } = factbookFiles();
  return files.map((f) => {
    const data: unknown = JSON.parse(readFileSync(join(root, f), "utf8"));
    const paragraphs: string[] = [];
    const walk = (node: unknown): void => {
      if (node === null || typeof node !== "object") return;
      const obj = node as Record<string, unknown>;
      for (const k in obj) {
        const v = obj[k];
        if (k === "text" && typeof v === "string") {
          for (const raw of v.split(/\s*\+\+\s*/)) {
            const p = cleanText(raw);
            if (p.length > 0) paragraphs.push(p);
          }
        } else if (typeof v === "object") walk(v);
      }
    };
    walk(data);
    const id = f.slice(0, -".json".length);
    return { id, title: countryName(data) ?? id, text: paragraphs.join("\n\n") };
  });
}

function countryName(data: unknown): string | undefined {
  const names = (data as { Government?: { "Country name"?: Record<string, { text?: unknown }> } }).Government?.["Country name"];
  for (const key of ["conventional short form", "conventional long form", "local short form"]) {
    const t = names?.[key]?.text;
    if (typeof t === "string" && t.trim() !== "" && t.trim().toLowerCase() !== "none") return cleanText(t);
  }
  return undefined;
}
