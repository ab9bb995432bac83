// Parsing of proposer and solver completions (formats in prompts.ts). Pure string work: whether
// a program or literal is valid Python is decided by the sandbox, never here.

import type { TemplateName } from "../pretrainzero/prompts.ts";
import { INDUCTION_INPUTS, type AzrTaskType, type Proposal } from "./types.ts";

export interface Block {
  tag: string;
  body: string;
  /** A closing fence was seen (false: cut off by the end of the completion). */
  closed: boolean;
}

const FENCE = /^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[ \t]*$/;
const TAG_ALIASES: Record<string, string> = { py: "python", python3: "python" };

/**
 * Fenced blocks of `text` in order. Any fence line inside a block closes it, and a tagged one
 * opens the next block at once (models often forget a closing fence between two blocks).
 * `implicitTag`: the text starts inside an already opened block of that tag (compact prompts
 * end with an opening fence).
 */
export function fencedBlocks(text: string, implicitTag?: string): Block[] {
  const out: Block[] = [];
  let cur: { tag: string; lines: string[] } | null = implicitTag === undefined ? null : { tag: implicitTag, lines: [] };
  for (const line of text.split("\n")) {
    const m = FENCE.exec(line.replace(/\r$/, ""));
    if (!m) {
      cur?.lines.push(line.replace(/\r$/, ""));
      continue;
    }
    const tag = m[1]!.toLowerCase();
    if (cur) {
      out.push({ tag: cur.tag, body: cur.lines.join("\n"), closed: true });
      cur = tag ? { tag: TAG_ALIASES[tag] ?? tag, lines: [] } : null;
    } else {
      cur = { tag: TAG_ALIASES[tag] ?? tag, lines: [] };
    }
  }
  if (cur) out.push({ tag: cur.tag, body: cur.lines.join("\n"), closed: false });
  return out;
}

/** Removes the common leading whitespace and surrounding blank lines (models often indent a whole block). Touches nothing else. */
export function dedent(code: string): string {
  const lines = code.split("\n");
  while (lines.length > 0 && lines[0]!.trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  let prefix: string | null = null;
  for (const l of lines) {
    if (l.trim() === "") continue;
    const lead = /^[ \t]*/.exec(l)![0];
    if (prefix === null) prefix = lead;
    else {
      let n = 0;
      while (n < prefix.length && n < lead.length && prefix[n] === lead[n]) n++;
      prefix = prefix.slice(0, n);
    }
  }
  if (!prefix) return lines.join("\n");
  const cut = prefix.length;
  return lines.map((l) => (l.trim() === "" ? "" : l.slice(cut))).join("\n");
}

// Paper completions end with the final answer; compact ones continue the few-shot pattern after
// the answer, and may stop at the end of the sample without closing the block.
function usable(completion: string, template: TemplateName, implicitTag: string): Block[] {
  const blocks = fencedBlocks(completion, template === "compact" ? implicitTag : undefined);
  return template === "compact" ? blocks : blocks.filter((b) => b.closed);
}

function pick(blocks: readonly Block[], tag: string, template: TemplateName, ok: (b: Block) => boolean = (b) => b.body.trim() !== ""): Block | undefined {
  const matching = blocks.filter((b) => b.tag === tag && ok(b));
  return template === "compact" ? matching[0] : matching[matching.length - 1];
}

const TOP_LEVEL_F = /^def[ \t]+f[ \t]*\(/m;

export interface ParseProposalOptions {
  /** Which prompt template produced the completion. Default "paper". */
  template?: TemplateName;
  /** Induction: the program the prompt asked about (inductionProgram(references)); a ```python block in the completion is used only without it. */
  program?: string;
  /** Induction: distinct inputs required (the first this many are kept). Default 10. */
  inductionInputs?: number;
}

/** A proposal from a proposer completion, or why it cannot be one (an invalid proposal). */
export function parseProposal(type: AzrTaskType, completion: string, opts: ParseProposalOptions = {}): Proposal | { invalid: string } {
  const template = opts.template ?? "paper";
  if (completion.trim() === "") return { invalid: "empty completion" };
  if (type === "induction") {
    const blocks = usable(completion, template, "message");
    const message = pick(blocks, "message", template)?.body.trim();
    if (!message) return { invalid: "no ```message block" };
    const need = opts.inductionInputs ?? INDUCTION_INPUTS;
    const inputs: string[] = [];
    for (const b of blocks) {
      const items = b.tag === "input" ? [b.body] : b.tag === "inputs" ? b.body.split("\n") : [];
      for (const raw of items) {
        const input = raw.trim();
        if (input !== "" && !inputs.includes(input)) inputs.push(input);
      }
    }
    if (inputs.length < need) return { invalid: `induction needs ${need} distinct inputs in \`\`\`input blocks, got ${inputs.length}` };
    const program = opts.program ?? (pick(blocks, "python", template) ? dedent(pick(blocks, "python", template)!.body) : undefined);
    if (!program) return { invalid: "induction proposal without a program (pass the prompt's program as opts.program)" };
    return { type, program, inputs: inputs.slice(0, need), message };
  }
  const blocks = usable(completion, template, "python");
  // The program and the input must belong together: the input is the first ```input after the program.
  const pairs: { program: string; input: string }[] = [];
  blocks.forEach((b, i) => {
    if (b.tag !== "python" || b.body.trim() === "") return;
    const input = blocks.slice(i + 1).find((c) => c.tag === "input" && c.body.trim() !== "");
    if (input) pairs.push({ program: dedent(b.body), input: input.body.trim() });
  });
  const chosen = template === "compact" ? pairs[0] : pairs[pairs.length - 1];
  if (!chosen) {
    return { invalid: blocks.some((b) => b.tag === "python" && b.body.trim() !== "") ? "no ```input block after the program" : "no ```python block" };
  }
  if (!TOP_LEVEL_F.test(chosen.program)) return { invalid: "the program defines no top-level function f" };
  return { type, program: chosen.program, inputs: [chosen.input] };
}

const ANSWER_TAG: Record<AzrTaskType, string> = { deduction: "output", abduction: "input", induction: "python" };

/**
 * The solver's answer: deduction the output literal (```output), abduction the input (```input),
 * induction the program (```python). null when the completion has no such non-empty block (a
 * format error). Paper: the last complete block; compact: the first (the prompt opened it).
 */
export function parseSolution(type: AzrTaskType, completion: string, template: TemplateName = "paper"): string | null {
  const tag = ANSWER_TAG[type];
  const block = pick(usable(completion, template, tag), tag, template);
  if (!block) return null;
  return tag === "python" ? dedent(block.body) : block.body.trim();
}
