// Episode logs recorded by an earlier build (fixtures/logs/) must keep replaying bit-exactly: a
// change meant to keep behaviour (a refactor, a new task beside the old ones) is proved here, actor
// by actor. A change meant to alter behaviour re-records them (fixtures/README.md says how) and says
// so in its commit.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import { readEpisodeLog } from "../../src/protocol/log.ts";
import { ACTOR_IDS } from "../../src/protocol/messages.ts";
import { DEFAULT_RUN_CONFIG, type RunConfig } from "../../src/runtime/config.ts";
import { replayActor } from "../../src/runtime/replay.ts";

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const DIR = join(ROOT, "fixtures/logs");
const LOGS = readdirSync(DIR).filter((f) => f.endsWith(".spzlog")).sort();

test("the fixture logs cover the simulator, every task on the tiny fixture, and the default model", () => {
  expect(LOGS).toEqual([
    "default-pretrainzero.spzlog",
    "sim-pretrainzero.spzlog",
    "tiny-azr.spzlog",
    "tiny-entropy.spzlog",
    "tiny-next-token.spzlog",
    "tiny-pretrainzero.spzlog",
    "tiny-random-span.spzlog",
  ]);
});

for (const file of LOGS) {
  describe(file, () => {
    for (const actor of ACTOR_IDS) {
      test(`the ${actor} replays it bit for bit`, async () => {
        const log = readEpisodeLog(join(DIR, file), { lazy: true, only: actor });
        const recorded = log.header.config as RunConfig;
        // The header's model folder is relative to the repository root, where the logs were recorded.
        const model = { ...recorded.model, dir: resolve(ROOT, recorded.model.dir) };
        const config: RunConfig = { ...DEFAULT_RUN_CONFIG, ...recorded, model, faults: [] };
        const r = await replayActor({ log, actor, factory: ACTORS[actor].factory, config, stopAtDivergence: true, stallMs: 60_000 });
        expect(r.divergences).toEqual([]);
        expect(r.compared).toBe(log.records.filter((x) => x.from === actor).length);
        expect(r.compared).toBeGreaterThan(0);
      });
    }
  });
}
