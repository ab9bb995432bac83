import { DEFAULT_RUN_CONFIG, type RunConfig } from "../../src/runtime/config.ts";

/** A run small enough for unit tests, big enough to exercise chunking and windows. */
export const SMALL: RunConfig = {
  ...DEFAULT_RUN_CONFIG,
  steps: 3,
  passages: 6,
  genSamples: 4,
  predSamples: 4,
  chunk: 2,
  window: 2,
  seed: 7,
};
