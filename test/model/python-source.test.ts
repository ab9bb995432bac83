// The standard library comes out of pyodide's python_stdlib.zip through our own zip reader.

import { expect, test } from "bun:test";
import { deflateRawSync } from "node:zlib";
import { pythonChunks, readPythonFiles, zipEntries, zipRead } from "../../src/data/python-source.ts";

test("the reader finds textwrap.py in pyodide's stdlib zip and inflates it to its source", () => {
  const files = readPythonFiles();
  expect(files.size).toBeGreaterThan(300);
  const textwrap = files.get("textwrap.py");
  expect(textwrap).toBeDefined();
  expect(textwrap!).toContain("def dedent(text):");
  expect(textwrap!).toContain("class TextWrapper:");
  expect([...files.keys()].every((k) => k.endsWith(".py"))).toBe(true);
});

/** A one-file zip: local header, data, central directory, end record. */
function zipOf(name: string, data: Uint8Array, method: 0 | 8): Uint8Array {
  const body = method === 8 ? new Uint8Array(deflateRawSync(data)) : data;
  const n = new TextEncoder().encode(name);
  const loc = new Uint8Array(30 + n.length);
  const lv = new DataView(loc.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(8, method, true);
  lv.setUint32(18, body.length, true);
  lv.setUint32(22, data.length, true);
  lv.setUint16(26, n.length, true);
  loc.set(n, 30);
  const cen = new Uint8Array(46 + n.length);
  const cv = new DataView(cen.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(10, method, true);
  cv.setUint32(20, body.length, true);
  cv.setUint32(24, data.length, true);
  cv.setUint16(28, n.length, true);
  cv.setUint32(42, 0, true);
  cen.set(n, 46);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, cen.length, true);
  ev.setUint32(16, loc.length + body.length, true);
  const out = new Uint8Array(loc.length + body.length + cen.length + end.length);
  out.set(loc, 0);
  out.set(body, loc.length);
  out.set(cen, loc.length + body.length);
  out.set(end, loc.length + body.length + cen.length);
  return out;
}

test("stored and deflated entries read back byte for byte; other methods and non-zips are refused", () => {
  const data = new TextEncoder().encode("def f(a):\n    return a\n".repeat(20));
  for (const method of [0, 8] as const) {
    const zip = zipOf("m.py", data, method);
    const [e] = zipEntries(zip);
    expect(e!.name).toBe("m.py");
    expect(zipRead(zip, e!)).toEqual(data);
  }
  const zip = zipOf("m.py", data, 0);
  expect(() => zipRead(zip, { ...zipEntries(zip)[0]!, method: 12 })).toThrow("zip entry m.py uses compression method 12; accepted: 0 (stored), 8 (deflate)");
  expect(() => zipEntries(new Uint8Array(100))).toThrow("not a zip file");
});

test("chunks stay under the limit, start at top-level statements where they can, and lose no line", () => {
  const src = readPythonFiles().get("textwrap.py")!;
  const chunks = pythonChunks(src, 800);
  expect(chunks.length).toBeGreaterThan(5);
  for (const c of chunks) expect(c.length).toBeLessThanOrEqual(800);
  expect(chunks.some((c) => c.startsWith("def dedent(text):"))).toBe(true);
  const norm = (s: string) => s.split("\n").filter((l) => l.trim() !== "").map((l) => l.trimEnd());
  expect(chunks.flatMap(norm)).toEqual(norm(src));
});
