import { type Dim, type OpDef, type Tensor, GraphBuildError, attr, formatShape } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { slice } from "./slice.ts";

const Concat: OpDef = {
  type: "Concat",
  grad: (node, [g]) => {
    const axis = node.intAttr("axis");
    let offset = 0;
    return node.inputs.map((x) => {
      const d = x.shape[axis];
      if (typeof d !== "number") throw new GraphBuildError(`Concat: gradient needs static sizes along axis ${axis} (got ${x})`);
      const part = slice(g, [offset], [offset + d], [axis]);
      offset += d;
      return part;
    });
  },
};

/** Joins tensors along `axis`; all other dims must agree. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new GraphBuildError("Concat: needs at least one input");
  const first = xs[0];
  const a = normalizeAxis("Concat", axis, first.rank);
  const out: Dim[] = [...first.shape];
  const describe = () => xs.map((x) => formatShape(x.shape)).join(", ");
  for (const x of xs.slice(1)) {
    if (x.rank !== first.rank || x.dtype !== first.dtype) {
      throw new GraphBuildError(`Concat: inputs must share rank and dtype (got ${xs.map(String).join(", ")})`);
    }
    x.shape.forEach((d, i) => {
      if (i === a) {
        const cur = out[a];
        out[a] = typeof cur === "number" && typeof d === "number" ? cur + d : `${cur}+${d}`;
      } else if (d !== out[i]) {
        if (typeof d === "number" && typeof out[i] === "number") {
          throw new GraphBuildError(`Concat: dim ${i} differs between inputs on axis ${a} (shapes ${describe()})`);
        }
        if (typeof d === "number") out[i] = d;
      }
    });
  }
  if (xs.length === 1) return first;
  return first.graph.addNode(Concat, xs, [{ dtype: first.dtype, shape: out }], { axis: attr.int(a) })[0];
}
