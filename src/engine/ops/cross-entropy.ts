import { withGradient } from "../autodiff.ts";
import { type Tensor, shapeError } from "../graph.ts";
import { exp } from "./exp.ts";
import { gatherElements } from "./gather-elements.ts";
import { logSoftmax } from "./log-softmax.ts";
import { mul } from "./mul.ts";
import { neg } from "./neg.ts";
import { reduceMean } from "./reduce-mean.ts";
import { squeeze } from "./squeeze.ts";
import { scatterElements } from "./support.ts";
import { unsqueeze } from "./unsqueeze.ts";

/** log p(target) for logits [..., V] and integer targets [...]: the policy's token log-probs. */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  if (targets.rank !== logits.rank - 1) throw shapeError("TokenLogProbs", "targets must have the logits' shape without the vocab axis", logits, targets);
  const index = unsqueeze(targets, [-1]);
  let logp: Tensor | undefined;
  // d/dlogits of g * logp[target] = g * (onehot(target) - softmax): one Exp, one Mul and one
  // scatter over [..., V], where the primitives' rules (a scatter into zeros, then LogSoftmax's
  // g - exp(y) * sum(g)) take six passes.
  return withGradient(
    [logits],
    () => squeeze(gatherElements((logp = logSoftmax(logits, -1)), index, -1), [-1]),
    (g) => {
      const gi = unsqueeze(g, [-1]);
      return [scatterElements(mul(exp(logp!), neg(gi)), index, gi, -1, "add")];
    },
  );
}

/** Mean cross-entropy of logits [..., V] against targets [...]. */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const lp = tokenLogProbs(logits, targets);
  return neg(reduceMean(lp, lp.shape.map((_, i) => i), false));
}
