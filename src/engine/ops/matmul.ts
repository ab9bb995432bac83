import { type Dim, type OpDef, type Tensor, shapeError } from "../graph.ts";
import { broadcastDim } from "../shape.ts";
import { gemm } from "./gemm.ts";
import { reshape } from "./reshape.ts";
import { transposeLast2 } from "./transpose.ts";
import { unbroadcast } from "./unbroadcast.ts";

const MatMul: OpDef = {
  type: "MatMul",
  grad: (node, [g]) => {
    const [a, b] = node.inputs;
    if (a.rank < 2 || b.rank < 2) throw shapeError("MatMul", "gradient needs operands of rank >= 2", a, b);
    let da: Tensor;
    let db: Tensor;
    if (b.rank === 2 && a.rank > 2) {
      // Shared weight: fold all leading axes into rows so dB is one large GEMM, not a batch + sum.
      const k = a.shape[a.rank - 1];
      const n = b.shape[1];
      db = gemm(reshape(a, [-1, k]), reshape(g, [-1, n]), true, false);
      da = matmul(g, transposeLast2(b));
    } else if (a.rank === 2 && b.rank === 2) {
      db = gemm(a, g, true, false);
      da = gemm(g, b, false, true);
    } else {
      da = matmul(g, transposeLast2(b));
      db = matmul(transposeLast2(a), g);
    }
    return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)];
  },
};

/** numpy matmul: batched over leading axes with broadcasting; rank-1 operands as in numpy. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw shapeError("MatMul", "dtypes differ", a, b);
  if (a.rank === 0 || b.rank === 0) throw shapeError("MatMul", "operands must have rank >= 1", a, b);
  const as = a.rank === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.rank === 1 ? [b.shape[0], 1] : b.shape;
  const ka = as[as.length - 1];
  const kb = bs[bs.length - 2];
  if (ka !== kb && typeof ka === "number" && typeof kb === "number") {
    throw shapeError("MatMul", `inner dimensions differ (${ka} vs ${kb})`, a, b);
  }
  const ba = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const r = Math.max(ba.length, bb.length);
  const batch: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const da = i - (r - ba.length) >= 0 ? ba[i - (r - ba.length)] : 1;
    const db = i - (r - bb.length) >= 0 ? bb[i - (r - bb.length)] : 1;
    batch.push(broadcastDim("MatMul", da, db, a, b));
  }
  const out: Dim[] = [...batch];
  if (a.rank > 1) out.push(as[as.length - 2]);
  if (b.rank > 1) out.push(bs[bs.length - 1]);
  return a.graph.addNode(MatMul, [a, b], [{ dtype: a.dtype, shape: out }])[0];
}
