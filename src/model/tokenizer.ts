/**
 * Tokenizer of a Hugging Face model folder: `tokenizer.json` (the fast-tokenizer file every
 * Llama/Qwen checkpoint ships) plus `tokenizer_config.json` where present, run through
 * `@huggingface/tokenizers` (Hugging Face's maintained pure-TS port; no native code, no network).
 *
 * Choices, written down:
 * - `encode` applies tokenizer.json's post-processor (it is what adds BOS for Llama-3 style
 *   tokenizers; Qwen adds nothing), like transformers' fast tokenizers. `add_bos_token` from
 *   tokenizer_config.json is reported, not re-applied.
 * - `decode` does not "clean up tokenization spaces" unless tokenizer_config.json asks for it
 *   (transformers' current default), so byte-level tokenizers round-trip text exactly.
 * - The chat template is tokenizer_config.json's `chat_template` (a string, or the "default" of a
 *   list of named templates), else a `chat_template.jinja` beside it (where newer transformers
 *   saves it). `applyChatTemplate` renders it with Jinja as transformers does (chat-template.ts).
 *   Its text already holds the template's special tokens (Llama 3's BOS): encode it with
 *   `addSpecialTokens: false`, as transformers' `apply_chat_template(tokenize=True)` does.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { ChatTemplate, type ChatMessage, type ChatTemplateOptions } from "./chat-template.ts";
import { ModelError } from "./hf-config.ts";

export type { ChatMessage, ChatTemplateOptions } from "./chat-template.ts";

export interface EncodeOptions {
  /** Apply the post-processor's special tokens (BOS/EOS templates). Default true, as in HF. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (added tokens marked special) from the text. Default false. */
  skipSpecialTokens?: boolean;
}

type Json = Record<string, unknown>;

const MODEL_TYPES = ["BPE", "WordPiece", "Unigram"];

/** A special-token entry in tokenizer_config.json: a string, or an AddedToken object. */
function tokenContent(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && typeof (v as Json).content === "string") return (v as Json).content as string;
  return null;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ModelError(`${path}: cannot read ${what} (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelError(`${path}: ${what} is not valid JSON (${(e as Error).message.replace(/\s+/g, " ")}); accepted: the ${what} a Hugging Face tokenizer saves`);
  }
}

/** Encode/decode text for one model; see the module comment for the choices. */
export class TextTokenizer {
  /** One past the largest token id (base vocabulary and added tokens). The model's vocab_size may be larger (padded). */
  readonly vocabSize: number;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number | null;
  readonly unkId: number | null;
  /** tokenizer_config.json's add_bos_token (null when absent). Informational: see module comment. */
  readonly addBosToken: boolean | null;
  /** The raw Jinja chat template, when the folder has one (see the module comment). */
  readonly chatTemplate: string | null;
  /** The file the chat template came from, for errors. */
  readonly chatTemplateFile: string | null;
  /** Added tokens marked special, content → id. */
  readonly specialTokens: ReadonlyMap<string, number>;

  private readonly tok: Tokenizer;
  private readonly cleanUpSpaces: boolean;
  private readonly source: string;
  private readonly specialTokenVars: Record<string, unknown>;
  private parsedTemplate?: ChatTemplate;

  private constructor(tokenizerJson: unknown, tokenizerConfig: Json, source: string, chatTemplateFile?: { text: string; file: string }) {
    this.source = source;
    if (typeof tokenizerJson !== "object" || tokenizerJson === null || Array.isArray(tokenizerJson)) {
      throw new ModelError(`${source}: tokenizer.json is not a JSON object`);
    }
    const tj = tokenizerJson as Json;
    const model = tj.model as Json | undefined;
    if (typeof model !== "object" || model === null || (model.type === undefined && model.vocab === undefined)) {
      throw new ModelError(`${source}: tokenizer.json has no "model" section; accepted: a fast-tokenizer file saved by the tokenizers library`);
    }
    // The library guesses a model from unknown types; a wrong guess would tokenize silently wrong.
    if (model.type !== undefined && !MODEL_TYPES.includes(model.type as string)) {
      throw new ModelError(`${source}: tokenizer.json model.type is ${JSON.stringify(model.type)}; accepted: ${MODEL_TYPES.join(", ")}`);
    }
    try {
      this.tok = new Tokenizer({ added_tokens: [], ...tj }, tokenizerConfig);
    } catch (e) {
      throw new ModelError(`${source}: tokenizer.json cannot be loaded (${(e as Error).message})`);
    }
    const vocab = this.tok.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;

    const special = new Map<string, number>();
    for (const [id, t] of this.tok.get_added_tokens_decoder()) if (t.special) special.set(t.content, id);
    this.specialTokens = special;

    const idOf = (field: string): [string | null, number | null] => {
      const content = tokenContent(tokenizerConfig[field]);
      if (content === null) return [null, null];
      const id = this.tok.token_to_id(content);
      if (id === undefined) throw new ModelError(`${source}: tokenizer_config.json ${field} ${JSON.stringify(content)} is not in the vocabulary`);
      return [content, id];
    };
    [this.bosToken, this.bosId] = idOf("bos_token");
    [this.eosToken, this.eosId] = idOf("eos_token");
    [this.padToken, this.padId] = idOf("pad_token");
    [this.unkToken, this.unkId] = idOf("unk_token");
    const ab = tokenizerConfig.add_bos_token;
    this.addBosToken = typeof ab === "boolean" ? ab : null;
    const ct = chatTemplateOf(tokenizerConfig.chat_template);
    this.chatTemplate = ct ?? chatTemplateFile?.text ?? null;
    this.chatTemplateFile = ct !== null ? `${source}/tokenizer_config.json` : chatTemplateFile ? chatTemplateFile.file : null;
    // The special-tokens map transformers hands the template: only the tokens that are set.
    const vars: Record<string, unknown> = {};
    for (const [k, v] of [["bos_token", this.bosToken], ["eos_token", this.eosToken], ["pad_token", this.padToken], ["unk_token", this.unkToken]] as const) if (v !== null) vars[k] = v;
    const extra = tokenizerConfig.additional_special_tokens;
    if (Array.isArray(extra)) vars.additional_special_tokens = extra.map(tokenContent).filter((t) => t !== null);
    this.specialTokenVars = vars;
    this.cleanUpSpaces = tokenizerConfig.clean_up_tokenization_spaces === true;
  }

  /** From already-parsed tokenizer.json and (optional) tokenizer_config.json objects. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, source = "tokenizer", chatTemplateFile?: { text: string; file: string }): TextTokenizer {
    if (typeof tokenizerConfig !== "object" || tokenizerConfig === null || Array.isArray(tokenizerConfig)) {
      throw new ModelError(`${source}: tokenizer_config.json is not a JSON object`);
    }
    return new TextTokenizer(tokenizerJson, tokenizerConfig as Json, source, chatTemplateFile);
  }

  /** Loads `<dir>/tokenizer.json` and, if present, `<dir>/tokenizer_config.json`. */
  static load(dir: string): TextTokenizer {
    const tj = join(dir, "tokenizer.json");
    if (!existsSync(tj)) {
      throw new ModelError(`${tj}: not found; accepted: a model folder with a fast-tokenizer tokenizer.json`);
    }
    const tc = join(dir, "tokenizer_config.json");
    const config = existsSync(tc) ? readJson(tc, "tokenizer_config.json") : {};
    const jinja = join(dir, "chat_template.jinja");
    const templateFile = existsSync(jinja) ? { text: readFileSync(jinja, "utf8"), file: jinja } : undefined;
    return TextTokenizer.fromJson(readJson(tj, "tokenizer.json"), config, dir, templateFile);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || this.tok.id_to_token(id) === undefined) {
        throw new ModelError(`${this.source}: token id ${id} is not in the vocabulary (0..${this.vocabSize - 1})`);
      }
    }
    return this.tok.decode(ids.slice(), {
      skip_special_tokens: opts.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: this.cleanUpSpaces,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  /** True when `id` is an added token marked special (BOS, EOS, <|im_start|>, ...). */
  isSpecial(id: number): boolean {
    const t = this.tok.id_to_token(id);
    return t !== undefined && this.specialTokens.get(t) === id;
  }

  /**
   * Renders a conversation with the model's chat template, as transformers' `apply_chat_template`
   * (see chat-template.ts). With `addGenerationPrompt`, ends with the opening of an assistant turn.
   */
  applyChatTemplate(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
    if (this.chatTemplate === null) {
      throw new ModelError(`${this.source}: tokenizer_config.json has no chat_template; use plain text prompts for this model`);
    }
    this.parsedTemplate ??= new ChatTemplate(this.chatTemplate, this.chatTemplateFile!);
    return this.parsedTemplate.render(messages, this.specialTokenVars, opts);
  }
}

/** tokenizer_config.json's chat_template: a string, or the "default" of a list of named templates. */
function chatTemplateOf(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const named = v.find((t) => typeof t === "object" && t !== null && (t as Json).name === "default" && typeof (t as Json).template === "string");
    if (named) return (named as Json).template as string;
  }
  return null;
}
