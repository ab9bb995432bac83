import { type OpDef, type Tensor, shapeError } from "../graph.ts";
import { attr } from "../graph.ts";
import { gemm } from "./gemm.ts";

/**
 * x @ W^T for a weight in PyTorch's [out, in] layout (Gemm with transB=1), so Hugging Face
 * weights are used as stored: no transpose on the host or in the graph.
 */
const Linear: OpDef = {
  type: "Gemm",
  grad: (node, [g]) => {
    const [x, w] = node.inputs;
    // dx = g @ W ([M,out] x [out,in]); dW = g^T @ x ([out,M] x [M,in]).
    return [gemm(g, w), gemm(g, x, true, false)];
  },
};

/** x [M, in] times W [out, in] transposed: [M, out]. */
export function linear(x: Tensor, w: Tensor): Tensor {
  if (x.rank !== 2 || w.rank !== 2) throw shapeError("Linear", "needs x [M, in] and W [out, in]", x, w);
  if (x.dtype !== w.dtype) throw shapeError("Linear", "dtypes differ", x, w);
  const kx = x.shape[1];
  const kw = w.shape[1];
  if (typeof kx === "number" && typeof kw === "number" && kx !== kw) throw shapeError("Linear", `inner dimensions differ (${kx} vs ${kw})`, x, w);
  return x.graph.addNode(Linear, [x, w], [{ dtype: x.dtype, shape: [x.shape[0], w.shape[0]] }], {
    transA: attr.int(0),
    transB: attr.int(1),
  })[0];
}
