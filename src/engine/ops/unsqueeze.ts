import { type Dim, type OpDef, type Tensor, shapeError } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { reshapeLike } from "./reshape.ts";

const Unsqueeze: OpDef = {
  type: "Unsqueeze",
  grad: (node, [g]) => [reshapeLike(g, node.inputs[0])],
};

/** Inserts size-1 axes at `axes` (positions in the output). */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank + axes.length;
  const norm = axes.map((a) => normalizeAxis("Unsqueeze", a, rank)).sort((a, b) => a - b);
  if (new Set(norm).size !== norm.length) throw shapeError("Unsqueeze", `repeated axes ${JSON.stringify(axes)}`, x);
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : x.shape[j++]);
  return x.graph.addNode(Unsqueeze, [x, x.graph.int64s(norm)], [{ dtype: x.dtype, shape: out }])[0];
}
