import { type OpDef, type Tensor, attr, shapeError } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { scatterElements, zerosLike } from "./support.ts";

const GatherElements: OpDef = {
  type: "GatherElements",
  grad: (node, [g]) => {
    const [data, indices] = node.inputs;
    return [scatterElements(zerosLike(data), indices, g, node.intAttr("axis"), "add"), undefined];
  },
};

/** out[i][j] = data[i][indices[i][j]] along `axis` (torch.gather); out shape = indices.shape. */
export function gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor {
  if (indices.dtype !== "int64" && indices.dtype !== "int32") throw shapeError("GatherElements", "indices must be int64 or int32", indices);
  if (indices.rank !== data.rank) throw shapeError("GatherElements", "data and indices must have the same rank", data, indices);
  const a = normalizeAxis("GatherElements", axis, data.rank);
  return data.graph.addNode(GatherElements, [data, indices], [{ dtype: data.dtype, shape: indices.shape }], { axis: attr.int(a) })[0];
}
