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

/**
 * Index just past the brace closing the first `\<command>{...}` of `text`, or -1 while that
 * group is unclosed (or absent). Braces count as in lastBracedArgument.
 */
export function firstBracedEnd(text: string, command: string): number {
  const at = text.indexOf(`\\${command}{`);
  if (at < 0) return -1;
  const end = closingBrace(text, at + command.length + 2);
  return end < 0 ? -1 : end + 1;
}

/**
 * firstBracedEnd over text that arrives in pieces (a completion as it is decoded), scanning each
 * character once: `push` returns the index (in the whole text so far) just past the closing
 * brace, or -1 until it has been written.
 */
export class BracedEndScanner {
  private readonly open: string;
  private text = "";
  /** Where the next scan starts. */
  private pos = 0;
  /** Nesting depth inside the group; 0 while its opening is not yet seen. */
  private depth = 0;
  private found = -1;

  constructor(command: string) {
    this.open = `\\${command}{`;
  }

  push(piece: string): number {
    if (this.found >= 0) return this.found;
    this.text += piece;
    const t = this.text;
    if (this.depth === 0) {
      const at = t.indexOf(this.open, Math.max(0, this.pos - this.open.length + 1));
      if (at < 0) {
        this.pos = t.length;
        return -1;
      }
      this.depth = 1;
      this.pos = at + this.open.length;
    }
    let i = this.pos;
    for (; i < t.length; i++) {
      const ch = t.charCodeAt(i);
      if (ch === 92 /* \ */) {
        // An escaped brace does not count; wait for the character after a trailing backslash.
        if (i + 1 >= t.length) break;
        const next = t.charCodeAt(i + 1);
        if (next === 123 || next === 125) i++;
        continue;
      }
      if (ch === 123 /* { */) this.depth++;
      else if (ch === 125 /* } */ && --this.depth === 0) return (this.found = i + 1);
    }
    this.pos = i;
    return -1;
  }
}
