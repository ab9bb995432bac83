import { type OpDef, type Tensor, GraphBuildError, attr, shapeError } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { cast } from "./cast.ts";
import { gemm } from "./gemm.ts";
import { reshape } from "./reshape.ts";
import { equal, scatterND, shapeOf, zerosLike } from "./support.ts";
import { unsqueeze } from "./unsqueeze.ts";

/**
 * d data[v] = sum of g over the positions that picked row v, computed without a racing scatter.
 *
 * ORT's CPU ScatterND with reduction=add splits the updates over its thread pool, so rows picked
 * more than once are summed in a scheduling-dependent order (and can lose updates): embedding
 * gradients then differed run to run once a batch was large enough to be split. Here the rows are
 * summed by one GEMM instead: Unique (sequential) gives the K distinct rows and each position's slot,
 * a one-hot [N, K] selects, onehotᵀ · g sums in MLAS's fixed order, and ScatterND (no reduction,
 * distinct indices) places the K sums. The one-hot is at most N × min(N, V), never more than the
 * [N, V] logits a language-model step already holds.
 */
function gatherRowsGrad(data: Tensor, indices: Tensor, g: Tensor): Tensor {
  const graph = data.graph;
  const flat = reshape(cast(indices, "int64"), [-1]);
  const [unique, , slot] = graph.addNode({ type: "Unique" }, [flat], [
    { dtype: "int64", shape: ["gather_rows"] },
    { dtype: "int64", shape: ["gather_rows"] },
    { dtype: "int64", shape: flat.shape },
    { dtype: "int64", shape: ["gather_rows"] },
  ], { sorted: attr.int(1) });
  const [rows] = graph.addNode({ type: "Range" }, [graph.scalar(0, "int64"), reshape(shapeOf(unique), []), graph.scalar(1, "int64")], [
    { dtype: "int64", shape: ["gather_rows"] },
  ]);
  const onehot = cast(equal(unsqueeze(slot, [1]), unsqueeze(rows, [0])), g.dtype);
  const rowShape = data.shape.slice(1);
  const width = rowShape.reduce<number>((a, d) => a * (typeof d === "number" ? d : NaN), 1);
  if (!Number.isFinite(width)) throw new GraphBuildError(`Gather: gradient needs static row dims, got ${data}`);
  const sums = gemm(onehot, reshape(g, [-1, width]), true, false);
  const placed = rowShape.length === 1 ? sums : reshape(sums, [-1, ...(rowShape as number[])]);
  return scatterND(zerosLike(data), unsqueeze(unique, [-1]), placed);
}

const Gather: OpDef = {
  type: "Gather",
  grad: (node, [g]) => {
    const [data, indices] = node.inputs;
    if (node.intAttr("axis") !== 0) {
      throw new GraphBuildError(`Gather: gradient is implemented for axis 0 (embedding lookup), got axis ${node.intAttr("axis")}`);
    }
    return [gatherRowsGrad(data, indices, g), undefined];
  },
};

/** data.take(indices, axis): out shape = data[:axis] + indices.shape + data[axis+1:]. */
export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  if (indices.dtype !== "int64" && indices.dtype !== "int32") throw shapeError("Gather", "indices must be int64 or int32", indices);
  const a = normalizeAxis("Gather", axis, data.rank);
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return data.graph.addNode(Gather, [data, indices], [{ dtype: data.dtype, shape }], { axis: attr.int(a) })[0];
}
