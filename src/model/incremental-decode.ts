/**
 * A completion's text as it grows, one token at a time, without decoding the whole completion
 * each step (the usual streaming detokenizer): each step decodes only the tokens since a recent
 * offset, with a few tokens before it as context, and emits the part past the context's text.
 * Decoding tokens together can differ from joining their single-token texts (a leading space
 * stripped, a character split across byte tokens), so a piece is held back while it ends in an
 * incomplete character (U+FFFD) and is emitted once the character completes.
 */
export class IncrementalDecoder {
  private readonly ids: number[] = [];
  /** Start of the context window, and the end of what was already emitted. */
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decode: (ids: readonly number[]) => string) {}

  /** Adds a token; returns the text it completes ("" while a character is incomplete). */
  push(id: number): string {
    this.ids.push(id);
    const before = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const now = this.decode(this.ids.slice(this.prefixOffset));
    if (now.length <= before.length || now.endsWith("\uFFFD")) return "";
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return now.slice(before.length);
  }
}
