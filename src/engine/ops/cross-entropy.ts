import { type Tensor, shapeError } from "../graph.ts";
import { gatherElements } from "./gather-elements.ts";
import { logSoftmax } from "./log-softmax.ts";
import { neg } from "./neg.ts";
import { reduceMean } from "./reduce-mean.ts";
import { squeeze } from "./squeeze.ts";
import { unsqueeze } from "./unsqueeze.ts";

/** log p(target) for logits [..., V] and integer targets [...]: the policy's token log-probs. */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  if (targets.rank !== logits.rank - 1) throw shapeError("TokenLogProbs", "targets must have the logits' shape without the vocab axis", logits, targets);
  const logp = logSoftmax(logits, -1);
  return squeeze(gatherElements(logp, unsqueeze(targets, [-1]), -1), [-1]);
}

/** Mean cross-entropy of logits [..., V] against targets [...]. */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const lp = tokenLogProbs(logits, targets);
  return neg(reduceMean(lp, lp.shape.map((_, i) => i), false));
}
