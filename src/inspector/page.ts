// The inspector's single page: HTML, CSS and JS from page/ inlined into one document, so the page
// needs nothing but the API of the server that served it.

import { readFileSync } from "node:fs";

const read = (name: string): string => readFileSync(new URL(`./page/${name}`, import.meta.url), "utf8");

/** Keeps inlined text from closing its <script>/<style> element early. */
export function inlineSafe(text: string, tag: "script" | "style"): string {
  return text.replace(new RegExp(`</${tag}`, "gi"), `<\\/${tag}`);
}

export function inspectorPage(): string {
  const parts: Record<string, string> = { CSS: inlineSafe(read("style.css"), "style"), JS: inlineSafe(read("app.js"), "script") };
  return read("index.html").replace(/\/\*__([A-Z_]+)__\*\//g, (m, name: string) => parts[name] ?? m);
}
