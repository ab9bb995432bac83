import { type Dim, type OpDef, type Tensor, GraphBuildError, shapeError } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { pad } from "./support.ts";

interface SliceSpec {
  readonly axes: number[];
  readonly starts: number[];
  readonly ends: number[];
}

const specs = new WeakMap<Tensor, SliceSpec>();

const Slice: OpDef = {
  type: "Slice",
  grad: (node, [g]) => {
    const x = node.inputs[0];
    const spec = specs.get(node.outputs[0])!;
    const pads = new Array<number>(2 * x.rank).fill(0);
    spec.axes.forEach((axis, i) => {
      const d = x.shape[axis];
      if (typeof d !== "number") throw new GraphBuildError(`Slice: gradient needs a static size on sliced axis ${axis} of ${x}`);
      pads[axis] = spec.starts[i];
      pads[axis + x.rank] = d - spec.ends[i];
    });
    return [pad(g, pads, x.shape)];
  },
};

/**
 * x[starts:ends] along `axes` with step 1. Negative indices count from the end; bounds are
 * clamped as in numpy. Sliced axes of symbolic size must use start 0 and an end <= 0 or
 * Infinity (the whole axis) or become a fresh symbol.
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normalizeAxis("Slice", a, x.rank));
  if (starts.length !== ax.length || ends.length !== ax.length) {
    throw shapeError("Slice", `starts, ends and axes lengths differ (${starts.length}, ${ends.length}, ${ax.length})`, x);
  }
  const out: Dim[] = [...x.shape];
  const normStarts: number[] = [];
  const normEnds: number[] = [];
  ax.forEach((axis, i) => {
    const d = x.shape[axis];
    if (typeof d !== "number") {
      if (starts[i] === 0 && ends[i] === Infinity) {
        normStarts.push(0);
        normEnds.push(Number.MAX_SAFE_INTEGER);
        return;
      }
      throw shapeError("Slice", `axis ${axis} is symbolic (${d}); only a full slice is supported there`, x);
    }
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const s = clamp(starts[i]);
    const e = Math.max(clamp(ends[i] === Infinity ? d : ends[i]), s);
    normStarts.push(s);
    normEnds.push(e);
    out[axis] = e - s;
  });
  const g = x.graph;
  const [y] = g.addNode(Slice, [x, g.int64s(normStarts), g.int64s(normEnds), g.int64s(ax)], [{ dtype: x.dtype, shape: out }]);
  specs.set(y, { axes: ax, starts: normStarts, ends: normEnds });
  return y;
}
