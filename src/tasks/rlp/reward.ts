// RLP's reward (Reinforcement Learning Pre-training, arXiv 2510.01265 §3): the information gain of
// a thought, log p_θ(x_t | x_<t, c_t) − log p̄(x_t | x_<t), where p̄ is the no-think prediction of
// an exponential moving average of the policy's weights. Dense, and it needs no verifier.

export const THINK_OPEN = " <think>";
export const THINK_CLOSE = "</think>";

/** The predictor's prompt: the context, then the opening of a thought. */
export function thoughtPrompt(context: string): string {
  return context + THINK_OPEN;
}

/** The context the reasoned prediction is scored after: the context and the closed thought. */
export function withThought(context: string, completion: string): string {
  const at = completion.indexOf(THINK_CLOSE);
  const thought = at >= 0 ? completion.slice(0, at) : completion;
  return context + THINK_OPEN + thought + THINK_CLOSE;
}

/** Per thought: its log-probability of the target minus the no-think baseline's. */
export function informationGain(withThoughtLogprobs: readonly number[], baselineLogprob: number): number[] {
  return withThoughtLogprobs.map((lp) => lp - baselineLogprob);
}
