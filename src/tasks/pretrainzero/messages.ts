// PretrainZero's own messages (arXiv 2512.03442 §3): the generator sends masked paragraphs to the
// predictor and the hidden spans to the reward actor only. The baselines and RPT reuse them.

import { arrayOf, nat, opt, shape, str, strOrNull, type Fields } from "../../protocol/schema.ts";
import type { MessageSpec } from "../task.ts";

export interface MaskedPassage {
  maskId: string;
  masked: string;
}

/** generator -> predictor: a paragraph's masked versions (the hidden spans never travel this way). */
export interface Masks {
  type: "masks";
  step: number;
  version: number;
  passage: string;
  masks: MaskedPassage[];
}

export interface MaskAnswer {
  maskId: string;
  /** The span as written inside \mask{}; null when the completion had no valid mask. */
  span: string | null;
  /** Why the mask was rejected, when it was. */
  invalid?: string;
}

/** generator -> reward: the hidden spans of a paragraph's masks. */
export interface Answers {
  type: "answers";
  step: number;
  passage: string;
  answers: MaskAnswer[];
}

export type MaskMessage = Masks | Answers;

const maskedPassage = shape<MaskedPassage>({ maskId: str, masked: str });
const maskAnswer = shape<MaskAnswer>({ maskId: str, span: strOrNull, invalid: opt(str) });

export const MASKS: MessageSpec = {
  type: "masks",
  rank: 3,
  fields: { step: nat, version: nat, passage: str, masks: arrayOf(maskedPassage) } satisfies Fields<Omit<Masks, "type">>,
};

export const ANSWERS: MessageSpec = {
  type: "answers",
  rank: 4,
  fields: { step: nat, passage: str, answers: arrayOf(maskAnswer) } satisfies Fields<Omit<Answers, "type">>,
};

export const MASK_MESSAGES: readonly MessageSpec[] = [MASKS, ANSWERS];
