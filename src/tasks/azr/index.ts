// Absolute Zero task logic (arXiv 2505.03335): types, buffers, prompts, parsing, sandboxed
// validation and checking, rewards. TRR++ advantages live in src/rl/advantages.ts (trrAdvantages).

export * from "./types.ts";
export * from "./buffer.ts";
export * from "./prompts.ts";
export * from "./parse.ts";
export * from "./execute.ts";
export * from "./rewards.ts";
