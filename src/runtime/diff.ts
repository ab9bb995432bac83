// A readable structural diff: the paths where two decoded messages differ.

export interface DiffLine {
  path: string;
  recorded: string;
  replayed: string;
}

export function diffValues(recorded: unknown, replayed: unknown, limit = 12): DiffLine[] {
  const out: DiffLine[] = [];
  walk(recorded, replayed, "", out, limit);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: DiffLine[], limit: number): void {
  if (out.length >= limit) return;
  if (Object.is(a, b)) return;
  const at = path || "(message)";
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = Array.from(a as unknown as ArrayLike<number>);
    const y = Array.from(b as unknown as ArrayLike<number>);
    if (a.constructor !== b.constructor) out.push({ path: at, recorded: a.constructor.name, replayed: b.constructor.name });
    else walk(x, y, path, out, limit);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push({ path: `${at}.length`, recorded: String(a.length), replayed: String(b.length) });
    for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out, limit);
    return;
  }
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(a[k], b[k], path ? `${path}.${k}` : k, out, limit);
    return;
  }
  out.push({ path: at, recorded: show(a), replayed: show(b) });
}

function isPlain(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

function show(x: unknown): string {
  if (x === undefined) return "(absent)";
  const s = typeof x === "string" ? JSON.stringify(x) : JSON.stringify(x) ?? String(x);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

export function formatDiff(lines: DiffLine[]): string {
  return lines.map((l) => `  ${l.path}\n    recorded: ${l.recorded}\n    replayed: ${l.replayed}`).join("\n");
}
