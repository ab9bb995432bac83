#!/usr/bin/env bun
// Entry point for every `bun run <command>`.

import type { Command } from "./args.ts";

const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => (await import("./train.ts")).trainCommand,
  simulate: async () => (await import("./simulate.ts")).simulateCommand,
  replay: async () => (await import("./replay.ts")).replayCommand,
  inspect: async () => (await import("./inspect.ts")).inspectCommand,
  bench: async () => (await import("./bench.ts")).benchCommand,
  "bench-wire": async () => (await import("./bench-wire.ts")).benchWireCommand,
  score: async () => (await import("./score.ts")).scoreCommand,
  "lm-pretrain": async () => (await import("./pretrain.ts")).pretrainCommand,
  corpus: async () => (await import("./corpus.ts")).corpusCommand,
  report: async () => (await import("./report.ts")).reportCommand,
  eval: async () => (await import("./eval.ts")).evalCommand,
  "exec-check": async () => (await import("./exec-check.ts")).execCheckCommand,
};

function usage(): string {
  return [
    "usage: bun run <command> [flags]    (or: bun src/cli/main.ts <command> [flags])",
    "",
    "commands:",
    "  train      PretrainZero (or another task) by self-play on a model or the simulator",
    "  simulate   the PretrainZero loop against simulated policies",
    "  replay     re-drive an actor from an episode log and verify it bit for bit",
    "  inspect    serve the episode inspector for a run or log on localhost (or --list)",
    "  eval       held-out masked-span accuracy and next-token loss of a model or runs (--compare)",
    "  exec-check run a Python file in the sandbox and print its JSON verdict",
    "  report     write one self-contained report.html with charts over steps for one or more runs",
    "  bench      measure the learner's compute engine",
    "  bench-wire measure message latency and throughput between actor workers",
    "  score      log-probs of a token sequence under a Hugging Face model folder (JSON)",
    "  lm-pretrain  next-token pretraining of the small default model on the embedded corpus",
    "  corpus     inspect a corpus: documents, passages, what was skipped and why",
    "",
    "every command accepts --help, --config FILE, --json and --debug",
  ].join("\n");
}

const [name, ...rest] = process.argv.slice(2);
if (!name || name === "--help" || name === "-h" || name === "help") {
  console.log(usage());
  process.exit(0);
}
const load = COMMANDS[name];
if (!load) {
  console.error(`error: unknown command "${name}"; accepted: ${Object.keys(COMMANDS).join(", ")}`);
  process.exit(2);
}
const code = await (await load()).main(rest);
process.exit(code);
