import { type Node, type Tensor, GraphBuildError, formatShape } from "./graph.ts";
import { isFloat } from "./dtype.ts";
import { constantOfShape, shapeOf, zerosLike } from "./ops/support.ts";
import { sum } from "./ops/sum.ts";

/**
 * Reverse-mode gradients of `output` with respect to each of `wrt`, appended to the same graph.
 * `output` is seeded with ones (so a scalar loss gives ordinary gradients) unless `seed` is
 * given. A `wrt` tensor the output does not depend on gets zeros.
 */
export function gradients(output: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const graph = output.graph;
  if (!isFloat(output.dtype)) throw new GraphBuildError(`gradients: output ${output} is not a float tensor`);
  for (const w of wrt) {
    if (w.graph !== graph) throw new GraphBuildError(`gradients: ${w} belongs to another graph`);
    if (!isFloat(w.dtype)) throw new GraphBuildError(`gradients: cannot differentiate with respect to ${w} (not a float tensor)`);
  }
  if (seed && (seed.dtype !== output.dtype || formatShape(seed.shape) !== formatShape(output.shape))) {
    throw new GraphBuildError(`gradients: seed ${seed} must match output ${output}`);
  }

  // Nodes on some path wrt -> output: forward-reachable from wrt and backward-reachable from output.
  const fromWrt = new Set<Tensor>(wrt);
  const nodes = graph.nodes;
  const forward = new Set<Node>();
  for (const n of nodes) {
    if (n.inputs.some((t) => fromWrt.has(t))) {
      forward.add(n);
      for (const o of n.outputs) fromWrt.add(o);
    }
  }
  const toOutput = new Set<Tensor>([output]);
  const onPath: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!forward.has(n) || !n.outputs.some((t) => toOutput.has(t))) continue;
    onPath.push(n);
    for (const t of n.inputs) toOutput.add(t);
  }

  const pending = new Map<Tensor, Tensor[]>();
  const contribute = (t: Tensor, g: Tensor) => {
    const list = pending.get(t);
    if (list) list.push(g);
    else pending.set(t, [g]);
  };
  const total = (t: Tensor): Tensor | undefined => {
    const list = pending.get(t);
    if (!list) return undefined;
    const g = sum(list);
    pending.set(t, [g]);
    return g;
  };
  contribute(output, seed ?? constantOfShape(shapeOf(output), output.shape, 1, output.dtype));

  for (const n of onPath) {
    const gOuts = n.outputs.map((o) => total(o));
    if (gOuts.every((g) => g === undefined)) continue;
    if (!n.op.grad) {
      throw new GraphBuildError(`gradients: op ${n.op.type} (node ${n.name}) has no gradient rule but lies between the inputs and ${output.name}`);
    }
    const filled = gOuts.map((g, i) => g ?? zerosLike(n.outputs[i]));
    const gIns = n.op.grad(n, filled);
    n.inputs.forEach((x, i) => {
      const gx = gIns[i];
      if (!gx || !fromWrt.has(x) || !toOutput.has(x)) return;
      if (gx.rank !== x.rank || gx.shape.some((d, k) => d !== x.shape[k] && typeof d === "number" && typeof x.shape[k] === "number")) {
        throw new GraphBuildError(`gradients: rule for ${n.op.type} returned ${formatShape(gx.shape)} for input ${x}`);
      }
      contribute(x, gx);
    });
  }
  return wrt.map((w) => total(w) ?? zerosLike(w));
}
