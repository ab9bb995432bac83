// `bun run simulate`: the real actors, messages, rewards and GRPO code against simulated policies.

import { defineCommand, type CommandSpec } from "./args.ts";
import { RUN_FLAGS, runSelfPlayCommand, SIM_FLAGS, SIMULATION_BANNER } from "./self-play.ts";

export const SIMULATE_SPEC: CommandSpec = {
  name: "simulate",
  summary: "Run the PretrainZero self-play loop against simulated policies (cheap; for studying the dynamics).",
  flags: [...RUN_FLAGS, ...SIM_FLAGS],
  acceptsRunFolder: true,
  examples: [
    "bun run simulate --steps 200",
    "bun run simulate --design plain --steps 200     # watch the generator learn to emit noise",
    "bun run simulate --steps 20 --record runs/sim.spzlog && bun run replay runs/sim.spzlog --verify",
  ],
};

export const simulateCommand = defineCommand(SIMULATE_SPEC, (args) =>
  runSelfPlayCommand(args, { command: "simulate", backend: "sim", banner: SIMULATION_BANNER }),
);
