import { type OpDef, type Shape, type Tensor, attr, shapeError } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { expandTo } from "./expand.ts";
import { unsqueeze } from "./unsqueeze.ts";

/** Output shape of a reduction, and the axes normalized and sorted. */
export function reducedShape(op: string, x: Tensor, axes: readonly number[], keepdims: boolean): [number[], Shape] {
  const norm = [...new Set(axes.map((a) => normalizeAxis(op, a, x.rank)))].sort((a, b) => a - b);
  if (norm.length !== axes.length) throw shapeError(op, `repeated axes ${JSON.stringify(axes)}`, x);
  const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  return [norm, shape];
}

/** Broadcasts a reduction's gradient back over the reduced axes of `x`. */
export function unreduce(g: Tensor, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
  const kept = keepdims ? g : unsqueeze(g, axes);
  return expandTo(kept, x);
}

const ReduceSum: OpDef = {
  type: "ReduceSum",
  grad: (node, [g]) => {
    const x = node.inputs[0];
    const axes = node.inputs[1].constValues!;
    return [unreduce(g, x, axes, node.intAttr("keepdims", 1) === 1)];
  },
};

/** Sum over `axes` (opset 13+: axes travel as a constant input). */
export function reduceSum(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const [norm, shape] = reducedShape("ReduceSum", x, axes, keepdims);
  if (norm.length === 0) return x;
  return x.graph.addNode(ReduceSum, [x, x.graph.int64s(norm)], [{ dtype: x.dtype, shape }], {
    keepdims: attr.int(keepdims ? 1 : 0),
  })[0];
}
