import { type Shape, type Tensor, GraphBuildError, formatShape } from "../graph.ts";
import { reduceSum } from "./reduce-sum.ts";
import { squeeze } from "./squeeze.ts";

/**
 * Sums a gradient of a broadcast result back to the operand's shape: over leading axes the
 * operand lacks, and over axes where the operand has size 1 and the result does not.
 */
export function unbroadcast(grad: Tensor, target: Shape): Tensor {
  const lead = grad.rank - target.length;
  if (lead < 0) throw new GraphBuildError(`unbroadcast: gradient ${grad} has lower rank than ${formatShape(target)}`);
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  for (let i = 0; i < target.length; i++) {
    const gd = grad.shape[i + lead];
    if (target[i] === 1 && gd !== 1) axes.push(i + lead);
  }
  if (axes.length === 0) return grad;
  const summed = reduceSum(grad, axes, true);
  if (lead === 0) return summed;
  return squeeze(summed, axes.slice(0, lead));
}
