/**
 * Ops without gradients that gradient rules and shape plumbing need: Shape, ConstantOfShape,
 * comparisons, scatters, Pad, Trilu. None of them is differentiable (or needs to be).
 */
import { type AttrValue, type DType, type Dim, type Shape, type Tensor, attr, GraphBuildError, shapeError } from "../graph.ts";
import { broadcastShapes, isStatic } from "../shape.ts";

/** Shape(x) as a 1-D int64 tensor; folded to a constant when the shape is static. */
export function shapeOf(x: Tensor): Tensor {
  if (isStatic(x.shape)) return x.graph.int64s(x.shape);
  return x.graph.addNode({ type: "Shape" }, [x], [{ dtype: "int64", shape: [x.rank] }])[0];
}

/** Tensor of `shape` (given as a value tensor + its build-time shape) filled with `value`. */
export function constantOfShape(shapeTensor: Tensor, shape: Shape, value: number, dtype: DType): Tensor {
  const g = shapeTensor.graph;
  return g.addNode({ type: "ConstantOfShape" }, [shapeTensor], [{ dtype, shape }], {
    value: attr.tensor(dtype, [1], [value]),
  })[0];
}

export function zerosLike(x: Tensor): Tensor {
  return constantOfShape(shapeOf(x), x.shape, 0, x.dtype);
}

function compare(type: string, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw shapeError(type, "dtypes differ", a, b);
  return a.graph.addNode({ type }, [a, b], [{ dtype: "bool", shape: broadcastShapes(type, a, b) }])[0];
}
export const equal = (a: Tensor, b: Tensor): Tensor => compare("Equal", a, b);
export const greater = (a: Tensor, b: Tensor): Tensor => compare("Greater", a, b);
export const less = (a: Tensor, b: Tensor): Tensor => compare("Less", a, b);

/** ScatterND into `data` with `reduction` (opset 16+: "add" accumulates duplicate indices). */
export function scatterND(data: Tensor, indices: Tensor, updates: Tensor, reduction: "none" | "add" = "none"): Tensor {
  const attrs: Record<string, AttrValue> = reduction === "none" ? {} : { reduction: attr.string(reduction) };
  return data.graph.addNode({ type: "ScatterND" }, [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], attrs)[0];
}

export function scatterElements(data: Tensor, indices: Tensor, updates: Tensor, axis: number, reduction: "none" | "add" = "none"): Tensor {
  const attrs: Record<string, AttrValue> = { axis: attr.int(axis) };
  if (reduction !== "none") attrs.reduction = attr.string(reduction);
  return data.graph.addNode({ type: "ScatterElements" }, [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], attrs)[0];
}

/** Zero padding; `pads` is ONNX layout [begin_0.., end_0..]. */
export function pad(x: Tensor, pads: readonly number[], outShape: Shape): Tensor {
  if (pads.length !== 2 * x.rank) throw shapeError("Pad", `needs ${2 * x.rank} pad values, got ${pads.length}`, x);
  return x.graph.addNode({ type: "Pad" }, [x, x.graph.int64s(pads)], [{ dtype: x.dtype, shape: outShape }])[0];
}

/** Lower (upper=false) or upper triangle of the last two axes. */
export function trilu(x: Tensor, upper: boolean, k = 0): Tensor {
  if (x.rank < 2) throw shapeError("Trilu", "needs rank >= 2", x);
  return x.graph.addNode({ type: "Trilu" }, [x, x.graph.constant([k], "int64", [], "k")], [{ dtype: x.dtype, shape: x.shape }], {
    upper: attr.int(upper ? 1 : 0),
  })[0];
}

/** Static dims or a clear error naming the op that needs them. */
export function requireStatic(op: string, x: Tensor, what: string): readonly number[] {
  if (!isStatic(x.shape)) throw new GraphBuildError(`${op}: ${what} needs a static shape (got ${x})`);
  return x.shape;
}

export type { Dim };

/** Elementwise minimum (used for the clipping scale; no gradient needed). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw shapeError("Min", "dtypes differ", a, b);
  return a.graph.addNode({ type: "Min" }, [a, b], [{ dtype: a.dtype, shape: broadcastShapes("Min", a, b) }])[0];
}
