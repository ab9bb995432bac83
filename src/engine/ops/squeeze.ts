import { type OpDef, type Tensor, shapeError } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { reshapeLike } from "./reshape.ts";

const Squeeze: OpDef = {
  type: "Squeeze",
  grad: (node, [g]) => [reshapeLike(g, node.inputs[0])],
};

/** Removes size-1 axes listed in `axes`. */
export function squeeze(x: Tensor, axes: readonly number[]): Tensor {
  const norm = axes.map((a) => normalizeAxis("Squeeze", a, x.rank));
  for (const a of norm) {
    if (x.shape[a] !== 1) throw shapeError("Squeeze", `axis ${a} has size ${x.shape[a]}, not 1`, x);
  }
  const out = x.shape.filter((_, i) => !norm.includes(i));
  return x.graph.addNode(Squeeze, [x, x.graph.int64s(norm)], [{ dtype: x.dtype, shape: out }])[0];
}
