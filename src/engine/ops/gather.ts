import { type OpDef, type Tensor, GraphBuildError, attr, shapeError } from "../graph.ts";
import { normalizeAxis } from "../shape.ts";
import { scatterND, zerosLike } from "./support.ts";
import { unsqueeze } from "./unsqueeze.ts";

const Gather: OpDef = {
  type: "Gather",
  grad: (node, [g]) => {
    const [data, indices] = node.inputs;
    if (node.intAttr("axis") !== 0) {
      throw new GraphBuildError(`Gather: gradient is implemented for axis 0 (embedding lookup), got axis ${node.intAttr("axis")}`);
    }
    // Rows picked several times accumulate: ScatterND with reduction=add (opset 16+).
    return [scatterND(zerosLike(data), unsqueeze(indices, [-1]), g, "add"), undefined];
  },
};

/** data.take(indices, axis): out shape = data[:axis] + indices.shape + data[axis+1:]. */
export function gather(data: Tensor, indices: Tensor, axis = 0): Tensor {
  if (indices.dtype !== "int64" && indices.dtype !== "int32") throw shapeError("Gather", "indices must be int64 or int32", indices);
  const a = normalizeAxis("Gather", axis, data.rank);
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return data.graph.addNode(Gather, [data, indices], [{ dtype: data.dtype, shape }], { axis: attr.int(a) })[0];
}
