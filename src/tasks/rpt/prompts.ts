// RPT's prompt (arXiv 2506.08007 §3.1): the text so far, and a request to reason about the next
// token and put it in \boxed{}. The compact template is the mask family's (the shipped model was
// pretrained on it): the context ends in [mask] and the answer follows "Hidden:".

import type { TemplateName } from "../pretrainzero/prompts.ts";
import { predictorPrompt } from "../pretrainzero/prompts.ts";
import { MASK_TOKEN } from "../pretrainzero/mask.ts";

const HEAD = ["Complete the given text. First think step by step about what comes next, then put the next token (or the next few tokens) of the text, exactly as they would appear, in \\boxed{...} at the end of your answer.", "", "Text:", "<<<", ""].join("\n");
const TAIL = ["", ">>>"].join("\n");

/** `context` ends where the hidden continuation starts. */
export function rptPrompt(context: string, template: TemplateName): string {
  return template === "paper" ? HEAD + context + TAIL : predictorPrompt(`${context} ${MASK_TOKEN}`, "compact");
}
