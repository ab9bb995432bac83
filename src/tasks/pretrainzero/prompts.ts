// Prompts of the two PretrainZero roles (arXiv 2512.03442).
// Each prompt is HEAD + text + TAIL with fixed HEAD/TAIL, so the embedded text is recovered
// exactly by slicing, whatever characters it contains (no escaping, no delimiter collisions).

const GENERATOR_HEAD = [
  "You are given a paragraph. Choose words in it to hide, so that a reader must recover them from the rest of the paragraph.",
  "Requirements for the masked words:",
  "1. They are one or more entities forming ONE contiguous run of words of the paragraph.",
  "2. They match words of the paragraph exactly: same spelling, capitalisation and punctuation.",
  "3. They can be predicted from the context, are moderately hard to predict, and have a short answer that is as unique as possible.",
  "",
  "Paragraph:",
  "<<<",
  "",
].join("\n");

const GENERATOR_TAIL = [
  "",
  ">>>",
  "",
  "First think step by step about which words to mask. Then write the chosen words, exactly as they appear, as \\mask{...} at the end of your answer.",
].join("\n");

const PREDICTOR_HEAD = [
  "In the paragraph below, some words were replaced by [mask]. Every [mask] hides the same words.",
  "",
  "Paragraph:",
  "<<<",
  "",
].join("\n");

const PREDICTOR_TAIL = [
  "",
  ">>>",
  "",
  "Reason step by step about what the hidden words are. Then put exactly the hidden words, and nothing else, in \\boxed{...} at the end of your answer.",
].join("\n");

/**
 * "paper": the paper's instructions with chain of thought, for real base models.
 * "compact": one line of context and a cue, no reasoning, for tiny models (the shipped default
 * model is pretrained on documents in this format, so it knows what the cue asks for).
 */
export type TemplateName = "paper" | "compact";
export const TEMPLATE_NAMES: readonly TemplateName[] = ["paper", "compact"];

interface Template {
  genHead: string;
  genTail: string;
  predHead: string;
  predTail: string;
}

const TEMPLATES: Record<TemplateName, Template> = {
  paper: { genHead: GENERATOR_HEAD, genTail: GENERATOR_TAIL, predHead: PREDICTOR_HEAD, predTail: PREDICTOR_TAIL },
  compact: { genHead: "Text: ", genTail: "\nHide:", predHead: "Text: ", predTail: "\nHidden:" },
};

/**
 * The braced answer that ends a completion under a template: the paper's prompts ask for reasoning
 * over several lines, then \mask{...} (generator) or \boxed{...} (predictor), so a completion ends
 * after that answer's closing brace (or at EOS). Compact completions are one line: the newline stop
 * string ends them (TEMPLATE_STOP_STRINGS), as the recorded runs did.
 */
export function answerCommand(template: TemplateName, role: string): "mask" | "boxed" | undefined {
  if (template !== "paper") return undefined;
  return role === "generator" ? "mask" : role === "predictor" ? "boxed" : undefined;
}

/** The stop strings a run takes with its template (unless its task has its own): never a newline for the paper's reasoning. */
export const TEMPLATE_STOP_STRINGS: Readonly<Record<TemplateName, readonly string[]>> = { paper: [], compact: ["\n"] };

/** Prompt asking the generator to choose a span of `passage` and write it as \mask{...}. */
export function generatorPrompt(passage: string, template: TemplateName = "paper"): string {
  const t = TEMPLATES[template];
  return t.genHead + passage + t.genTail;
}

/** Prompt asking the predictor to recover the words hidden by [mask] in `masked`, in \boxed{...}. */
export function predictorPrompt(masked: string, template: TemplateName = "paper"): string {
  const t = TEMPLATES[template];
  return t.predHead + masked + t.predTail;
}

/** A whole generator example in the compact format (used to render pretraining documents). */
export function compactGeneratorExample(passage: string, span: string): string {
  return `${generatorPrompt(passage, "compact")} \\mask{${span}}`;
}

/** A whole predictor example in the compact format. */
export function compactPredictorExample(masked: string, span: string): string {
  return `${predictorPrompt(masked, "compact")} \\boxed{${span}}`;
}

function embedded(prompt: string, pick: (t: Template) => [string, string], what: string): string {
  for (const t of Object.values(TEMPLATES)) {
    const [head, tail] = pick(t);
    if (prompt.length >= head.length + tail.length && prompt.startsWith(head) && prompt.endsWith(tail)) {
      return prompt.slice(head.length, prompt.length - tail.length);
    }
  }
  throw new Error(`not a ${what} prompt: expected the text made by ${what}Prompt(), got ${JSON.stringify(prompt.slice(0, 60))}...`);
}

/** The passage embedded by generatorPrompt() (any template); throws on any other prompt. */
export function passageOfGeneratorPrompt(prompt: string): string {
  return embedded(prompt, (t) => [t.genHead, t.genTail], "generator");
}

/** The masked passage embedded by predictorPrompt() (any template); throws on any other prompt. */
export function maskedOfPredictorPrompt(prompt: string): string {
  return embedded(prompt, (t) => [t.predHead, t.predTail], "predictor");
}
