// RPT, Reinforcement Pre-Training (arXiv 2506.08007), as a task: next-token reasoning at positions
// where the policy is uncertain, rewarded by prefix matching on token boundaries. Only the
// predictor trains; the generator actor picks the positions from the learner's entropies.

import type { RunConfig } from "../../runtime/config.ts";
import type { Task, TaskFlag } from "../task.ts";
import { maskGenerator, maskReward, maskWork, MASK_TASK_BASE } from "../pretrainzero/task.ts";
import { scorePassage } from "../pretrainzero/score.ts";
import { rptCut } from "./positions.ts";
import { rptPrompt } from "./prompts.ts";
import { prefixReward, tokenBoundaries } from "./reward.ts";

export type RptOptions = {
  /** Positions are drawn from the top `entropyTop` fraction of next-token entropies (the paper filters by a proxy model's entropy). */
  entropyTop: number;
  /** Words of ground truth after the cut; a prediction may match any token-aligned prefix of it. */
  continuationWords: number;
};

const DEFAULTS: RptOptions = { entropyTop: 0.2, continuationWords: 4 };

const FLAGS: TaskFlag[] = [
  { name: "rpt-entropy-top", option: "entropyTop", type: "number", min: 0.01, max: 1, default: DEFAULTS.entropyTop, help: "task rpt: predict at positions among this top fraction of the policy's next-token entropies" },
  { name: "rpt-continuation-words", option: "continuationWords", type: "int", min: 1, max: 64, default: DEFAULTS.continuationWords, help: "task rpt: words of ground truth after the cut that a prediction may match a token-aligned prefix of" },
];

export function rptOptions(config: RunConfig): RptOptions {
  return { ...DEFAULTS, ...(config.taskOptions as Partial<RptOptions>) };
}

export const RPT: Task = {
  ...MASK_TASK_BASE,
  // Its "masks" carry a context to continue, not a masked paragraph: span statistics do not apply.
  observer: undefined,
  name: "rpt",
  summary: "RPT: reason about the next token at high-entropy positions; reward 1 when the answer is a token-aligned prefix of the text that follows; only the predictor trains",
  defaults: DEFAULTS,
  flags: FLAGS,
  simulator: "the simulator has no tokenizer to find token boundaries",
  trainRoles: () => ["predictor"],
  predictorWork: { masks: maskWork((context, c) => rptPrompt(context, c.template)) },
  actors: {
    generator: maskGenerator((c) => {
      const o = rptOptions(c);
      return { kind: "entropy", rngRole: "rpt-position", make: (passage, h, r) => rptCut(passage, h, r, o.entropyTop, o.continuationWords) };
    }),
    reward: maskReward(async (config) => {
      // Token boundaries are the policy's own tokenizer's; the reward actor loads only the tokenizer.
      const { TextTokenizer } = await import("../../model/tokenizer.ts");
      const tok = TextTokenizer.load(config.model.dir);
      const boundaries = (continuation: string) => {
        const ids = tok.encode(continuation, { addSpecialTokens: false });
        return tokenBoundaries(continuation, ids.map((_, i) => tok.decode(ids.slice(0, i + 1))));
      };
      return (answers, predictions) =>
        scorePassage({
          passageKey: answers.passage,
          masks: answers.answers.map((a) => ({ maskKey: a.maskId, span: a.span, masked: a.span === null ? null : "" })),
          predictions: new Map(predictions.groups.map((g) => [g.maskId, g.completions])),
          design: "minmax",
          reward: (completion, continuation) => prefixReward(completion, continuation, boundaries(continuation)),
        });
    }),
  },
};
