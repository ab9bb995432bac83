import { type Dim, type OpDef, type Shape, type Tensor, shapeError } from "../graph.ts";
import { isStatic } from "../shape.ts";
import { shapeOf } from "./support.ts";

const Reshape: OpDef = {
  type: "Reshape",
  grad: (node, [g]) => [reshapeLike(g, node.inputs[0])],
};

function symbolsOf(shape: Shape): [number, string[]] {
  let n = 1;
  const syms: string[] = [];
  for (const d of shape) {
    if (typeof d === "number") n *= d;
    else syms.push(...d.split("*"));
  }
  return [n, syms];
}

/**
 * Reshape to `target`: sizes, -1 (inferred, at most one), 0 (copy the input's dim), or a
 * symbol naming one of the input's symbolic dims at the same position.
 */
export function reshape(x: Tensor, target: readonly Dim[]): Tensor {
  const spec: number[] = [];
  const out: Dim[] = [];
  let inferAt = -1;
  target.forEach((d, i) => {
    if (typeof d === "string") {
      if (x.shape[i] !== d) throw shapeError("Reshape", `symbol ${d} at axis ${i} must be the input's dim there`, x);
      spec.push(0);
      out.push(d);
    } else if (d === -1) {
      if (inferAt >= 0) throw shapeError("Reshape", `target ${JSON.stringify(target)} has more than one -1`, x);
      inferAt = i;
      spec.push(-1);
      out.push(-1);
    } else if (d === 0) {
      if (i >= x.rank) throw shapeError("Reshape", `0 at axis ${i} copies a dim the input lacks`, x);
      spec.push(0);
      out.push(x.shape[i]);
    } else if (Number.isInteger(d) && d > 0) {
      spec.push(d);
      out.push(d);
    } else {
      throw shapeError("Reshape", `invalid target dim ${d} in ${JSON.stringify(target)}`, x);
    }
  });
  const [nIn, symIn] = symbolsOf(x.shape);
  const [nOut, symOut] = symbolsOf(out.filter((_, i) => i !== inferAt));
  const rest = [...symIn];
  for (const s of symOut) {
    const k = rest.indexOf(s);
    if (k < 0) throw shapeError("Reshape", `cannot reshape to ${JSON.stringify(target)}: symbol ${s} is not in the input`, x);
    rest.splice(k, 1);
  }
  if (inferAt >= 0) {
    if (nIn % nOut !== 0) throw shapeError("Reshape", `cannot reshape to ${JSON.stringify(target)}: ${nIn} is not divisible by ${nOut}`, x);
    const n = nIn / nOut;
    out[inferAt] = rest.length === 0 ? n : [...(n === 1 ? [] : [String(n)]), ...rest].join("*");
  } else if (nIn !== nOut || rest.length > 0) {
    throw shapeError("Reshape", `cannot reshape to ${JSON.stringify(target)}: element counts differ`, x);
  }
  if (out.every((d, i) => d === x.shape[i]) && out.length === x.rank) return x;
  return x.graph.addNode(Reshape, [x, x.graph.int64s(spec)], [{ dtype: x.dtype, shape: out }])[0];
}

/** Reshape `x` to the (possibly symbolic) shape of `like`, read at run time when needed. */
export function reshapeLike(x: Tensor, like: Tensor): Tensor {
  if (x.rank === like.rank && x.shape.every((d, i) => d === like.shape[i])) return x;
  const shapeT = isStatic(like.shape) ? x.graph.int64s(like.shape) : shapeOf(like);
  return x.graph.addNode(Reshape, [x, shapeT], [{ dtype: x.dtype, shape: like.shape }])[0];
}
