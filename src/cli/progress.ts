// Progress for long commands. On a terminal: one status line on stderr, redrawn in place. Elsewhere
// (CI, pipes): a plain line every `every` seconds, so logs stay readable.

export interface ProgressOptions {
  total: number;
  label: string;
  /** Seconds between plain lines when stderr is not a terminal. */
  every?: number;
  stream?: { isTTY?: boolean; write(s: string): unknown; columns?: number };
}

export class Progress {
  private readonly started = performance.now();
  private lastPlain = -Infinity;
  private readonly tty: boolean;
  private readonly stream: NonNullable<ProgressOptions["stream"]>;
  private drawn = false;
  private last = "";

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** `done` units finished; `fields` are short "name value" pairs such as gen_reward 0.41. */
  update(done: number, fields: Record<string, string | number> = {}): void {
    const line = this.format(done, fields);
    if (this.tty) {
      const width = this.stream.columns ?? 120;
      this.last = line.slice(0, width - 1);
      this.stream.write(`\r\x1b[2K${this.last}`);
      this.drawn = true;
      return;
    }
    const now = performance.now();
    if (done < this.opts.total && now - this.lastPlain < (this.opts.every ?? 10) * 1000) return;
    this.lastPlain = now;
    this.stream.write(`${line}\n`);
  }

  format(done: number, fields: Record<string, string | number>): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = done > 0 ? elapsed / done : 0;
    const eta = done > 0 ? Math.max(0, (this.opts.total - done) * rate) : NaN;
    const parts = [
      `${this.opts.label} ${done}/${this.opts.total}`,
      `elapsed ${clock(elapsed)}`,
      `eta ${Number.isFinite(eta) ? clock(eta) : "?"}`,
      ...Object.entries(fields).map(([k, v]) => `${k} ${typeof v === "number" ? fmt(v) : v}`),
    ];
    return parts.join("  ");
  }

  /** Print a line to stdout without tearing the status line. */
  print(line: string): void {
    if (this.tty && this.drawn) this.stream.write("\r\x1b[2K");
    console.log(line);
    if (this.tty && this.drawn) this.stream.write(this.last);
  }

  /** Leave the terminal on a fresh line. */
  done(): void {
    if (this.tty && this.drawn) this.stream.write("\n");
  }
}

function clock(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(sec).padStart(2, "0")}s`;
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}
