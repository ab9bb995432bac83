// MediaWiki XML export dumps (pages-articles.xml[.bz2]), streamed page by page, and wikitext
// turned into plain prose with wtf_wikipedia.
//
// Kept: the sentences of every paragraph of namespace-0, non-redirect wikitext pages.
// Dropped: redirects, other namespaces, non-wikitext content models, templates, infoboxes,
// tables, references, files/images, categories, lists, headings, and the sections that hold
// only apparatus (References, External links, See also, ...).

import { decodeHTML } from "entities";
import { SaxesParser } from "saxes";
import wtf from "wtf_wikipedia";
import { CorpusError } from "./corpus-io.ts";

export interface DumpPage {
  id: string;
  title: string;
  ns: string;
  /** A <redirect> element was present. */
  redirect: boolean;
  model: string;
  /** Wikitext of the last revision in the page. */
  text: string;
}

/** Why a page of a dump yields no document. */
export type PageSkipReason = "redirect" | "namespace" | "non-wikitext" | "empty";

const APPARATUS_SECTIONS = new Set([
  "references",
  "notes",
  "footnotes",
  "citations",
  "sources",
  "bibliography",
  "further reading",
  "external links",
  "see also",
  "notes and references",
  "references and notes",
  "works cited",
  "literature",
]);

/**
 * Plain-prose paragraphs of an article's wikitext, or null for a redirect. Each paragraph is
 * its sentences joined by spaces (wtf_wikipedia drops templates, tables, references, images and
 * categories and resolves links to their labels); lists and headings are left out as not prose.
 */
export function wikitextToParagraphs(wikitext: string): string[] | null {
  if (/^\s*#redirect\b/i.test(wikitext)) return null;
  const doc = wtf(wikitext);
  if (doc.isRedirect()) return null;
  const out: string[] = [];
  for (const section of doc.sections()) {
    if (APPARATUS_SECTIONS.has(section.title().trim().toLowerCase())) continue;
    // The typings say object | object[]; at run time it is always an array of paragraphs.
    for (const para of section.paragraphs() as WtfParagraph[]) {
      const text = tidyProse(para.sentences().map((s) => s.text()).join(" "));
      if (text.length > 0) out.push(text);
    }
  }
  return out;
}

/** What wtf_wikipedia leaves behind: entities, stray tags, unparsed nested templates, emptied brackets. */
export function tidyProse(text: string): string {
  let t = text;
  if (t.includes("&")) t = decodeHTML(t);
  if (t.includes("<")) t = t.replace(/<[^<>]*>/g, " ");
  // Innermost-first, so nested templates go too.
  for (let guard = 0; guard < 8 && t.includes("{{"); guard++) {
    const next = t.replace(/\{\{[^{}]*\}\}/g, "");
    if (next === t) break;
    t = next;
  }
  // Brackets emptied by removed templates or references: "( )", "(; )", "[]".
  t = t.replace(/\(\s*[,;:]?\s*\)|\[\s*\]/g, "").replace(/[,;:]\s*\)/g, ")").replace(/\(\s*[,;:]\s*/g, "(");
  t = t.replace(/\s+/g, " ").replace(/\s+([,.;:!?])/g, "$1").trim();
  return t;
}

type WtfParagraph = ReturnType<ReturnType<typeof wtf>["paragraphs"]>[number];

interface Open {
  page: DumpPage | null;
  path: string[];
  text: string;
  root: string | null;
}

/**
 * Pages of a MediaWiki export, parsed incrementally from decoded text chunks: at most the pages
 * completed by one chunk are held at a time. A malformed document or a root element other than
 * <mediawiki> is a CorpusError.
 */
export async function* dumpPages(text: AsyncIterable<string>, where: string): AsyncGenerator<DumpPage> {
  const parser = new SaxesParser({ position: true });
  const done: DumpPage[] = [];
  const st: Open = { page: null, path: [], text: "", root: null };
  parser.on("opentag", (tag) => {
    const name = tag.name;
    if (st.root === null) {
      st.root = name;
      if (name !== "mediawiki") throw new CorpusError(`${where} is XML but not a MediaWiki export (root element <${name}>); accepted: a pages-articles dump whose root is <mediawiki>`);
    }
    st.path.push(name);
    if (name === "page") st.page = { id: "", title: "", ns: "", redirect: false, model: "wikitext", text: "" };
    else if (name === "redirect" && st.page) st.page.redirect = true;
    st.text = "";
  });
  parser.on("text", (t) => {
    if (st.page) st.text += t;
  });
  parser.on("cdata", (t) => {
    if (st.page) st.text += t;
  });
  parser.on("closetag", (tag) => {
    const page = st.page;
    const parent = st.path[st.path.length - 2];
    if (page) {
      if (parent === "page") {
        if (tag.name === "title") page.title = st.text;
        else if (tag.name === "ns") page.ns = st.text.trim();
        else if (tag.name === "id") page.id = st.text.trim();
      } else if (parent === "revision") {
        if (tag.name === "text") page.text = st.text; // the last revision wins (history dumps)
        else if (tag.name === "model") page.model = st.text.trim();
      }
      if (tag.name === "page") {
        done.push(page);
        st.page = null;
      }
    }
    st.path.pop();
    st.text = "";
  });
  const write = (s: string): void => {
    try {
      parser.write(s);
    } catch (e) {
      if (e instanceof CorpusError) throw e;
      throw new CorpusError(`malformed XML in ${where}: ${(e as Error).message.replace(/\s+/g, " ")}; accepted: a well-formed MediaWiki export`);
    }
  };
  let sawText = false;
  for await (const chunk of text) {
    if (!sawText && chunk.trim().length > 0) {
      sawText = true;
      const start = chunk.trimStart();
      if (!start.startsWith("<")) throw new CorpusError(`${where} is not XML (it starts with ${JSON.stringify(start.slice(0, 20))}); accepted: a MediaWiki export (.xml or .xml.bz2)`);
    }
    // Bounded slices keep the completed-page queue small even for multi-MB decoded chunks.
    for (let i = 0; i < chunk.length; i += 1 << 16) {
      write(chunk.slice(i, i + (1 << 16)));
      while (done.length > 0) yield done.shift()!;
    }
  }
  try {
    parser.close();
  } catch (e) {
    throw new CorpusError(`truncated or malformed XML in ${where}: ${(e as Error).message.replace(/\s+/g, " ")}; accepted: a complete MediaWiki export`);
  }
  while (done.length > 0) yield done.shift()!;
}

/** Why a page is not an article (null: it is one). */
export function pageSkipReason(page: DumpPage): PageSkipReason | null {
  if (page.ns !== "0" && page.ns !== "") return "namespace";
  if (page.redirect) return "redirect";
  if (page.model !== "wikitext") return "non-wikitext";
  if (page.text.trim().length === 0) return "empty";
  return null;
}
