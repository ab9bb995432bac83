// Extraction of `\command{...}` arguments, shared by \mask{} and \boxed{} parsing.

/**
 * Content of the last `\<command>{...}` whose braces balance, or null.
 * Nested braces are kept as text ("\boxed{a {b}}" -> "a {b}"); backslash-escaped braces
 * (`\{`, `\}`) do not count towards nesting. An unclosed last occurrence (a truncated
 * completion) falls back to the previous closed one, because the model's final answer is
 * the last one it finished.
 */
export function lastBracedArgument(text: string, command: string): string | null {
  const open = `\\${command}{`;
  let from = text.length;
  while (from >= 0) {
    const at = text.lastIndexOf(open, from);
    if (at < 0) return null;
    const start = at + open.length;
    const end = closingBrace(text, start);
    if (end >= 0) return text.slice(start, end);
    from = at - 1;
  }
  return null;
}

/** Index of the brace closing a group whose content starts at `start`, or -1. */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 92 /* \ */) {
      const next = text.charCodeAt(i + 1);
      if (next === 123 || next === 125) i++;
      continue;
    }
    if (ch === 123 /* { */) depth++;
    else if (ch === 125 /* } */) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
