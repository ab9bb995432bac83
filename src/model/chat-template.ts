/**
 * A model's chat template (a Jinja program from tokenizer_config.json, or chat_template.jinja)
 * rendered with `@huggingface/jinja`, with the variables transformers' `apply_chat_template`
 * passes: `messages`, `tools` and `documents` (none), `add_generation_prompt`, the special tokens
 * that are set (`bos_token`, `eos_token`, `pad_token`, `unk_token`, `additional_special_tokens`),
 * then the caller's extra variables (Qwen3's `enable_thinking`, Llama 3's `date_string`...).
 *
 * The globals are the library's, except `strftime_now`: it formats a date the caller chooses, in
 * UTC, so a training run renders the same prompt every time (transformers uses today's date;
 * Llama 3.x templates print it as "Today Date").
 */
import { Environment, Interpreter, Template } from "@huggingface/jinja";
import { ModelError } from "./hf-config.ts";

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn (the prompt a model answers). Default false. */
  addGenerationPrompt?: boolean;
  /** Further template variables (e.g. `{ enable_thinking: false }` for Qwen3). */
  variables?: Record<string, unknown>;
  /** The date `strftime_now` formats. Default: now, as transformers does. */
  now?: Date;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** The strftime directives chat templates use, in UTC. */
export function strftimeUtc(date: Date, format: string): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return format.replace(/%[YmdbBHMS%]/g, (d) => {
    switch (d) {
      case "%Y":
        return String(date.getUTCFullYear());
      case "%m":
        return pad(date.getUTCMonth() + 1);
      case "%d":
        return pad(date.getUTCDate());
      case "%b":
        return MONTHS[date.getUTCMonth()]!.slice(0, 3);
      case "%B":
        return MONTHS[date.getUTCMonth()]!;
      case "%H":
        return pad(date.getUTCHours());
      case "%M":
        return pad(date.getUTCMinutes());
      case "%S":
        return pad(date.getUTCSeconds());
      default:
        return "%";
    }
  });
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/** A parsed chat template; `file` names where it came from, for errors. */
export class ChatTemplate {
  private readonly program: Template;

  constructor(
    readonly source: string,
    readonly file: string,
  ) {
    try {
      this.program = new Template(source);
    } catch (e) {
      throw new ModelError(`${file}: chat_template is not a Jinja template this renderer reads (${oneLine((e as Error).message)})`);
    }
  }

  /** The conversation as the model's text (special tokens included, as text). */
  render(messages: readonly ChatMessage[], specialTokens: Record<string, unknown>, opts: ChatTemplateOptions = {}): string {
    const now = opts.now ?? new Date();
    const env = new Environment();
    const globals: Record<string, unknown> = {
      false: false,
      true: true,
      none: null,
      False: false,
      True: true,
      None: null,
      raise_exception: (message: string) => {
        throw new Error(`the template raised: ${message}`);
      },
      range: (start: number, stop?: number, step = 1) => {
        if (step === 0) throw new Error("range() step must not be zero");
        const [a, b] = stop === undefined ? [0, start] : [start, stop];
        const out: number[] = [];
        for (let i = a; step > 0 ? i < b : i > b; i += step) out.push(i);
        return out;
      },
      strftime_now: (format: string) => strftimeUtc(now, format),
      messages: messages.map((m) => ({ ...m })),
      tools: null,
      documents: null,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      ...specialTokens,
      ...opts.variables,
    };
    try {
      for (const [k, v] of Object.entries(globals)) env.set(k, v);
      return new Interpreter(env).run(this.program.parsed).value as string;
    } catch (e) {
      throw new ModelError(`${this.file}: chat_template failed to render (${oneLine((e as Error).message)})`);
    }
  }
}
