// `bun run export RUN|CHECKPOINT --out DIR`: a trained model as a Hugging Face folder (or, for a
// LoRA run, a PEFT adapter folder), loadable by transformers, PEFT and `bun run score`.

import { DEFAULT_MAX_SHARD_BYTES, type ExportDtype, exportModel, parseShardSize } from "../model/export.ts";
import { bool, defineCommand, oneOf, optStr, str } from "./args.ts";

const DTYPES = ["auto", "float32", "bfloat16", "float16"] as const;

export const exportCommand = defineCommand(
  {
    name: "export",
    summary:
      "Write a trained model as a Hugging Face folder: config.json, generation_config.json, model.safetensors (sharded with model.safetensors.index.json past --max-shard-size) and the tokenizer files. A LoRA run gives a PEFT adapter folder (adapter_config.json, adapter_model.safetensors), or with --merge-lora the merged model.",
    usage: "bun run export [flags] <RUN|CHECKPOINT> --out DIR",
    positionals: [{ name: "RUN|CHECKPOINT", help: "a run folder of train --backend model (its newest usable checkpoint), or one of its checkpoints/ckpt-NNNNNNNN folders", required: true }],
    flags: [
      { name: "out", type: "string", required: true, help: "the folder to write (must not exist or be empty, unless --force)" },
      { name: "merge-lora", type: "boolean", default: false, help: "LoRA runs: write the merged model W + (alpha/r)·B·A instead of the adapter folder" },
      { name: "dtype", type: "enum", values: DTYPES, default: "auto", help: "dtype of the written weights (auto: the base model's torch_dtype; adapters stay float32)" },
      { name: "max-shard-size", type: "string", default: "5GB", help: "largest weights file before the model is sharded, as transformers' max_shard_size (bytes, or e.g. 500MB, 2GiB)" },
      { name: "force", type: "boolean", default: false, help: "replace --out when it exists and is not empty" },
    ],
    examples: ["bun run export runs/pz --out exported/pz", "bun run export runs/pz-lora --out exported/pz-merged --merge-lora --dtype bfloat16", "bun run export runs/pz/checkpoints/ckpt-00000010 --out exported/pz-10"],
  },
  async (args) => {
    const shard = optStr(args, "max-shard-size");
    const r = exportModel(args.positionals[0]!, {
      out: str(args, "out"),
      mergeLora: bool(args, "merge-lora"),
      dtype: oneOf(args, "dtype", DTYPES) as ExportDtype,
      maxShardBytes: shard === undefined ? DEFAULT_MAX_SHARD_BYTES : parseShardSize(shard),
      force: bool(args, "force"),
    });
    for (const s of r.skipped) console.error(`warning: skipping ${s.reason.startsWith("checkpoint ") ? "" : `checkpoint ${s.path}: `}${s.reason}`);
    if (args.json) console.log(JSON.stringify(r));
    else console.log(`exported step ${r.step} (${r.checkpoint}) as ${r.kind === "adapter" ? "a PEFT adapter folder" : `a ${r.dtype} model folder`}: ${r.out} (${r.files.join(", ")})`);
    return 0;
  },
);
