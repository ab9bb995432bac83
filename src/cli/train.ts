// `bun run train`: the trainer. Until the ONNX learner backend lands, it runs the simulator and says so.

import { defineCommand } from "./args.ts";
import { RUN_FLAGS, simulate, SIMULATION_BANNER } from "./simulate.ts";

export const trainCommand = defineCommand(
  {
    name: "train",
    summary: "Train by self-play. For now this runs the simulator: the ONNX model backend is not built yet.",
    flags: RUN_FLAGS,
    examples: ["bun run train --steps 100", "bun run train --steps 50 --run first --record runs/first.spzlog"],
  },
  (args) =>
    simulate(
      args,
      "train: no model backend exists yet, so this runs the SIMULATOR (bun run simulate).\n" + SIMULATION_BANNER,
      "train",
    ),
);
