// `bun run score --model DIR (--ids 1,2,3 | --text "...")`: the debugging and parity tool. Prints
// JSON with the log-prob of each next token and the full log-prob vector at the last position.

import { frozenBinding } from "../model/decoder.ts";
import { loadDecoderConfig } from "../model/hf-config.ts";
import { LogprobScorer } from "../model/logprobs.ts";
import { openModelWeights } from "../model/safetensors.ts";
import { TextTokenizer } from "../model/tokenizer.ts";
import { checkModelDir } from "../runtime/preflight.ts";
import { bool, defineCommand, InputError, int, optStr } from "./args.ts";
import { DEVICE_FLAGS, MODEL_FLAGS, pickFlags, readDevice, readModel, requiredFlags } from "./flags/index.ts";

export const scoreCommand = defineCommand(
  {
    name: "score",
    summary: "Log-probs of a token sequence under a model: each next token, and the full vector at the last position (JSON).",
    flags: [
      ...requiredFlags(MODEL_FLAGS, "model"),
      ...pickFlags(DEVICE_FLAGS, "device"),
      { name: "ids", type: "string", help: "comma-separated token ids, e.g. 1,2,3" },
      { name: "text", type: "string", help: "text to tokenize with the model's tokenizer.json" },
      { name: "top", type: "int", min: 0, default: 10, help: "also list the N most likely next tokens" },
      { name: "full", type: "boolean", default: true, help: "include the full last-position log-prob vector (--no-full to omit)" },
    ],
    examples: [
      "bun run score --model fixtures/tiny-qwen3 --text 'The capital of France is'",
      "bun run score --model fixtures/tiny-llama --ids 659,12,40,7 --no-full",
    ],
  },
  async (args) => {
    const { dir } = readModel(args);
    const { device } = readDevice(args);
    const idsFlag = optStr(args, "ids");
    const text = optStr(args, "text");
    if ((idsFlag === undefined) === (text === undefined)) throw new InputError("give exactly one of --ids or --text (command score); --ids takes comma-separated token ids, --text a string");
    if (idsFlag !== undefined && idsFlag.trim() === "") throw new InputError("--ids is empty (command score); accepted: comma-separated token ids, e.g. --ids 1,2,3");
    checkModelDir(dir);
    const cfg = loadDecoderConfig(dir);
    let tokenizer: TextTokenizer | null = null;
    let ids: number[];
    if (idsFlag !== undefined) {
      ids = idsFlag.split(",").map((s) => {
        const t = s.trim();
        const n = /^\d+$/.test(t) ? Number(t) : NaN;
        if (!Number.isSafeInteger(n) || n >= cfg.vocabSize) throw new InputError(`--ids: ${JSON.stringify(s)} is not a token id (command score); accepted: comma-separated integers in [0, ${cfg.vocabSize})`);
        return n;
      });
    } else {
      tokenizer = TextTokenizer.load(dir);
      ids = tokenizer.encode(text!);
    }
    if (ids.length === 0) throw new InputError("nothing to score: --text gives no tokens (command score); accepted: a non-empty text or --ids");
    const weights = openModelWeights(dir, cfg).readAllF32();
    const scorer = new LogprobScorer(cfg, frozenBinding(cfg, weights, "initializer"), { deterministic: true, device });
    const [r] = await scorer.score([ids], { lastLogp: true });
    const last = r!.lastLogp!;
    const top = [...last.keys()].sort((a, b) => last[b]! - last[a]!).slice(0, int(args, "top"));
    const tok = (id: number) => (tokenizer ? tokenizer.decode([id]) : undefined);
    const out = {
      model: dir,
      ids,
      ...(tokenizer ? { tokens: ids.map((id) => tok(id)) } : {}),
      nextTokenLogprobs: Array.from(r!.logprobs),
      sumLogprob: r!.logprobs.reduce((a, b) => a + b, 0),
      top: top.map((id) => ({ id, logprob: last[id]!, ...(tokenizer ? { token: tok(id) } : {}) })),
      ...(bool(args, "full") ? { lastLogprobs: Array.from(last) } : {}),
    };
    console.log(JSON.stringify(out));
    await scorer.release();
    return 0;
  },
);
