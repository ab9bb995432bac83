// How a run's text prompt becomes the model's input, and what ends the model's completion. The
// learner's model backend, the difficulty probe and the held-out eval all prompt through here, so
// they ask the model the same way.

import type { Role } from "../../protocol/messages.ts";
import type { ChatTemplateMode, RunConfig } from "../../runtime/config.ts";
import { ModelError } from "../../model/hf-config.ts";
import type { TextTokenizer } from "../../model/tokenizer.ts";
import { taskOf } from "../../tasks/registry.ts";

/**
 * The date chat templates print through strftime_now (Llama 3.x's "Today Date"): fixed, so a run's
 * prompts never depend on the day it runs or is replayed. It is the Llama 3.2 template's own default.
 */
export const CHAT_TEMPLATE_DATE = new Date(Date.UTC(2024, 6, 26));

/** Text prompts to token ids: plain, or (--chat-template) as one user message with the generation prompt. */
export class PromptEncoder {
  readonly chat: boolean;

  constructor(
    private readonly tokenizer: TextTokenizer,
    mode: ChatTemplateMode,
    /** The model folder, for errors. */
    dir: string,
  ) {
    this.chat = mode === "on" || (mode === "auto" && tokenizer.chatTemplate !== null);
    if (this.chat && tokenizer.chatTemplate === null) {
      throw new ModelError(`--chat-template on: ${dir} has no chat template (tokenizer_config.json chat_template or chat_template.jinja); use --chat-template off for a base model`);
    }
  }

  encode(text: string): number[] {
    if (!this.chat) return this.tokenizer.encode(text);
    const chat = this.tokenizer.applyChatTemplate([{ role: "user", content: text }], { addGenerationPrompt: true, now: CHAT_TEMPLATE_DATE });
    // The template writes its own special tokens (Llama 3's BOS); adding them again would double them.
    return this.tokenizer.encode(chat, { addSpecialTokens: false });
  }
}

/** What ends a role's completion in this run: its stop strings, and the braced answer the task's prompt asks for (Task.answerStop). */
export function completionStops(config: RunConfig, role: Role): { stopStrings: string[]; stopAfterBraced?: string } {
  const answer = taskOf(config).answerStop?.(config, role);
  return { stopStrings: config.model.stopStrings, ...(answer ? { stopAfterBraced: answer } : {}) };
}
