// Prompts of the two PretrainZero roles (arXiv 2512.03442, REFERENCE.md §1).
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

/** Prompt asking the generator to choose a span of `passage` and write it as \mask{...}. */
export function generatorPrompt(passage: string): string {
  return GENERATOR_HEAD + passage + GENERATOR_TAIL;
}

/** Prompt asking the predictor to recover the words hidden by [mask] in `masked`, in \boxed{...}. */
export function predictorPrompt(masked: string): string {
  return PREDICTOR_HEAD + masked + PREDICTOR_TAIL;
}

function embedded(prompt: string, head: string, tail: string, what: string): string {
  if (prompt.length < head.length + tail.length || !prompt.startsWith(head) || !prompt.endsWith(tail)) {
    throw new Error(`not a ${what} prompt: expected the text made by ${what}Prompt(), got ${JSON.stringify(prompt.slice(0, 60))}...`);
  }
  return prompt.slice(head.length, prompt.length - tail.length);
}

/** The passage embedded by generatorPrompt(); throws on any other prompt. */
export function passageOfGeneratorPrompt(prompt: string): string {
  return embedded(prompt, GENERATOR_HEAD, GENERATOR_TAIL, "generator");
}

/** The masked passage embedded by predictorPrompt(); throws on any other prompt. */
export function maskedOfPredictorPrompt(prompt: string): string {
  return embedded(prompt, PREDICTOR_HEAD, PREDICTOR_TAIL, "predictor");
}
