import { type OpDef, type Tensor, attr, shapeError } from "../graph.ts";

function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

const Transpose: OpDef = {
  type: "Transpose",
  grad: (node, [g]) => [transpose(g, inverse(node.intsAttr("perm")!))],
};

/** Permutes axes; default reverses them (ONNX default). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  const sorted = [...p].sort((a, b) => a - b);
  if (p.length !== x.rank || sorted.some((v, i) => v !== i)) {
    throw shapeError("Transpose", `perm ${JSON.stringify(p)} is not a permutation of ${x.rank} axes`, x);
  }
  if (p.every((v, i) => v === i)) return x;
  return x.graph.addNode(Transpose, [x], [{ dtype: x.dtype, shape: p.map((i) => x.shape[i]) }], { perm: attr.ints(p) })[0];
}

/** Swaps the last two axes (matrix transpose of a batch). */
export function transposeLast2(x: Tensor): Tensor {
  if (x.rank < 2) throw shapeError("Transpose", "needs rank >= 2 to swap the last two axes", x);
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}
