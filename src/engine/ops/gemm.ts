import { type OpDef, type Tensor, attr, shapeError } from "../graph.ts";

const Gemm: OpDef = { type: "Gemm" };

/**
 * 2-D product with transposes folded in (op(A) @ op(B)), so weight gradients avoid
 * materializing a transpose. Emitted by MatMul's gradient rule; it has no gradient itself.
 */
export function gemm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw shapeError("Gemm", "needs two rank-2 operands", a, b);
  const [m, ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (typeof ka === "number" && typeof kb === "number" && ka !== kb) {
    throw shapeError("Gemm", `inner dimensions differ (${ka} vs ${kb})`, a, b);
  }
  return a.graph.addNode(Gemm, [a, b], [{ dtype: a.dtype, shape: [m, n] }], {
    transA: attr.int(transA ? 1 : 0),
    transB: attr.int(transB ? 1 : 0),
  })[0];
}
