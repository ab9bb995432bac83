import { type DType, type OpDef, type Tensor, attr } from "../graph.ts";
import { ONNX_DTYPE, isFloat } from "../dtype.ts";

const Cast: OpDef = {
  type: "Cast",
  grad: (node, [g]) => {
    const x = node.inputs[0];
    // Only float-to-float casts carry a gradient.
    return [isFloat(x.dtype) && isFloat(g.dtype) ? cast(g, x.dtype) : undefined];
  },
};

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return x.graph.addNode(Cast, [x], [{ dtype: to, shape: x.shape }], { to: attr.int(ONNX_DTYPE[to]) })[0];
}
