// `bun run train`: self-play training of a language model on the engine under any registered task
// (PretrainZero by default), or, with --backend sim, of the simulated policies.

import { defineCommand } from "./args.ts";
import { MODEL_FLAGS, RUN_FLAGS, runSelfPlayCommand, SIM_FLAGS, SIMULATION_BANNER } from "./self-play.ts";

export const trainCommand = defineCommand(
  {
    name: "train",
    summary: "Train a language model by self-play with GRPO: PretrainZero (generator masks, predictor fills in) by default, or another task (--task).",
    flags: [...MODEL_FLAGS, ...RUN_FLAGS, ...SIM_FLAGS],
    acceptsRunFolder: true,
    examples: [
      "bun run train                                            # the shipped model on the embedded corpus, CPU",
      "bun run train --model path/to/Qwen3-0.6B-Base --template paper --lora-rank 16",
      "bun run train --corpus path/to/enwiki-latest-pages-articles.xml.bz2 --steps 50",
      "bun run train --run long --checkpoint-every 10 && bun run train --resume runs/long",
    ],
  },
  (args) => {
    const backend = args.flags.backend as "model" | "sim";
    return runSelfPlayCommand(args, { command: "train", backend, ...(backend === "sim" ? { banner: SIMULATION_BANNER } : {}) });
  },
);
