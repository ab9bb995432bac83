import { type Node, type Tensor, GraphBuildError, formatShape } from "./graph.ts";
import { isFloat } from "./dtype.ts";
import { constantOfShape, shapeOf, zerosLike } from "./ops/support.ts";
import { sum } from "./ops/sum.ts";

interface CustomGradient {
  readonly inputs: readonly Tensor[];
  /** Tensors made inside the composite: differentiating with respect to one of them disables the rule. */
  readonly interior: ReadonlySet<Tensor>;
  readonly rule: (g: Tensor) => readonly (Tensor | undefined)[];
}

const customGradients = new WeakMap<Tensor, CustomGradient>();

/**
 * Builds a composite with `body` and gives its output a gradient rule of its own, so the
 * backward pass runs `rule` (fewer, fused passes) instead of differentiating the primitives
 * the composite is made of. `rule(g, y)` returns one gradient per entry of `inputs` (undefined:
 * not differentiable); the body must not depend differentiably on anything else. The forward
 * nodes are unchanged, and interior tensors used elsewhere still get their gradients from there.
 */
export function withGradient(inputs: readonly Tensor[], body: () => Tensor, rule: (g: Tensor, y: Tensor) => readonly (Tensor | undefined)[]): Tensor {
  const graph = inputs[0].graph;
  const start = graph.nodes.length;
  const y = body();
  const interior = new Set<Tensor>();
  for (const n of graph.nodes.slice(start)) for (const o of n.outputs) interior.add(o);
  if (!interior.has(y) || y.producer?.outputs.length !== 1) return y;
  customGradients.set(y, { inputs, interior, rule: (g) => rule(g, y) });
  return y;
}

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
  // A composite with its own rule is one step back to its inputs, unless a wrt tensor lies inside it.
  const customOf = (n: Node): CustomGradient | undefined => {
    const c = n.outputs.length === 1 ? customGradients.get(n.outputs[0]) : undefined;
    return c && !wrt.some((w) => w !== n.outputs[0] && c.interior.has(w)) ? c : undefined;
  };
  const toOutput = new Set<Tensor>([output]);
  const onPath: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!forward.has(n) || !n.outputs.some((t) => toOutput.has(t))) continue;
    onPath.push(n);
    for (const t of customOf(n)?.inputs ?? n.inputs) toOutput.add(t);
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

  const propagate = (n: Node, xs: readonly Tensor[], gIns: readonly (Tensor | undefined)[]) => {
    xs.forEach((x, i) => {
      const gx = gIns[i];
      if (!gx || !fromWrt.has(x) || !toOutput.has(x)) return;
      if (gx.rank !== x.rank || gx.shape.some((d, k) => d !== x.shape[k] && typeof d === "number" && typeof x.shape[k] === "number")) {
        throw new GraphBuildError(`gradients: rule for ${n.op.type} returned ${formatShape(gx.shape)} for input ${x}`);
      }
      contribute(x, gx);
    });
  };

  for (const n of onPath) {
    const gOuts = n.outputs.map((o) => total(o));
    if (gOuts.every((g) => g === undefined)) continue;
    const custom = customOf(n);
    if (custom) {
      propagate(n, custom.inputs, custom.rule(gOuts[0]!));
      continue;
    }
    if (!n.op.grad) {
      throw new GraphBuildError(`gradients: op ${n.op.type} (node ${n.name}) has no gradient rule but lies between the inputs and ${output.name}`);
    }
    const filled = gOuts.map((g, i) => g ?? zerosLike(n.outputs[i]));
    propagate(n, n.inputs, n.op.grad(n, filled));
  }
  return wrt.map((w) => total(w) ?? zerosLike(w));
}
