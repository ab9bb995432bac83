#!/usr/bin/env bun
// Entry point for every `bun run <command>`.

import { reportError, type Command } from "./args.ts";

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
  probe: async () => (await import("./probe.ts")).probeCommand,
  "exec-check": async () => (await import("./exec-check.ts")).execCheckCommand,
  study: async () => (await import("./study.ts")).studyCommand,
  export: async () => (await import("./export.ts")).exportCommand,
  actor: async () => (await import("./actor.ts")).actorCommand,
  cluster: async () => (await import("./cluster.ts")).clusterCommand,
  "setup-cuda": async () => (await import("./setup-cuda.ts")).setupCudaCommand,
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
    "  eval       held-out masked-span accuracy and next-token loss of a model or runs (--all-checkpoints: the curve)",
    "  probe      how hard a run's generated spans are for its frozen initial model, per checkpoint",
    "  exec-check run a Python file in the sandbox and print its JSON verdict",
    "  study      methods × seeds on one budget, one held-out eval set: mean ± 95% CI and paired differences",
    "  report     write one self-contained report.html with charts over steps for one or more runs",
    "  bench      measure the learner's compute engine",
    "  bench-wire measure message latency and throughput between actor workers",
    "  export     a trained run or checkpoint as a Hugging Face model folder (or PEFT adapter folder)",
    "  actor      serve one actor role of a run over NATS from this machine (--replicas N processes)",
    "  cluster    train over NATS on this machine: a private nats-server and a process per replica",
    "  setup-cuda install ORT's CUDA execution provider from npm, find the CUDA libraries, say what is missing",
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

// Whatever escapes a command (an error thrown from a timer or an event handler, a rejected promise
// nobody awaited) is reported like a command's own errors: one line, the stack only with --debug.
const flags = rest.slice(0, rest.includes("--") ? rest.indexOf("--") : rest.length);
const debug = flags.includes("--debug");
const json = flags.includes("--json");
let reported = false;
const fatal = (e: unknown): void => {
  if (reported) return;
  reported = true;
  process.exit(reportError(e, { debug, json }));
};
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

let command: Command;
try {
  command = await load();
} catch (e) {
  // A command module that fails to load is a bug or a broken install, not bad input.
  process.exit(reportError(Object.assign(new Error(`cannot load command ${name}: ${(e as Error).message ?? String(e)}`), { stack: (e as Error).stack }), { debug, json }));
}
const code = await command.main(rest);
process.exit(code);
