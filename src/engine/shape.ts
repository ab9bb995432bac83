import { type Dim, type Shape, type Tensor, GraphBuildError, formatShape, shapeError } from "./graph.ts";

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

/** Element count of a static shape, or undefined when a dimension is symbolic. */
export function numel(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}

export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new GraphBuildError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return a === b;
}

/** Product of two dims; symbolic products become a derived symbol name. */
export function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  return `${a}*${b}`;
}

/**
 * Numpy-style broadcast of two shapes. A symbol against a number other than 1 resolves to the
 * number (the symbol must bind to it at run time); two different symbols are rejected.
 */
export function broadcastShapes(op: string, a: Tensor, b: Tensor): Dim[] {
  const ra = a.rank;
  const rb = b.rank;
  const r = Math.max(ra, rb);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const da = i - (r - ra) >= 0 ? a.shape[i - (r - ra)] : 1;
    const db = i - (r - rb) >= 0 ? b.shape[i - (r - rb)] : 1;
    out.push(broadcastDim(op, da, db, a, b));
  }
  return out;
}

export function broadcastDim(op: string, da: Dim, db: Dim, a: Tensor, b: Tensor): Dim {
  if (da === db) return da;
  if (da === 1) return db;
  if (db === 1) return da;
  if (typeof da === "number" && typeof db === "number") {
    throw shapeError(op, `cannot broadcast dimension ${da} against ${db}`, a, b);
  }
  if (typeof da === "number") return da;
  if (typeof db === "number") return db;
  throw shapeError(op, `cannot broadcast symbolic dimensions ${da} and ${db}`, a, b);
}

/** Broadcast of many shapes (Where, Expand). */
export function broadcastMany(op: string, tensors: readonly Tensor[], shapes: readonly Shape[]): Dim[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const j = i - (r - s.length);
      const ds = j >= 0 ? s[j] : 1;
      if (d === ds || ds === 1) continue;
      if (d === 1) {
        d = ds;
        continue;
      }
      if (typeof d === "number" && typeof ds === "number") {
        throw new GraphBuildError(
          `${op}: cannot broadcast shapes ${shapes.map(formatShape).join(" and ")} (inputs ${tensors.map(String).join(", ")})`,
        );
      }
      if (typeof ds === "number") d = ds;
      else if (typeof d !== "number") {
        throw new GraphBuildError(`${op}: cannot broadcast symbolic dimensions ${d} and ${ds} in ${shapes.map(formatShape).join(" and ")}`);
      }
    }
    out.push(d);
  }
  return out;
}
