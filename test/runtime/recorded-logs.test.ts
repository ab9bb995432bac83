// Episode logs recorded by an earlier build (fixtures/logs/) must keep replaying bit-exactly: a
// change meant to keep behaviour (a refactor, a new task beside the old ones) is proved here, actor
// by actor. A change meant to alter behaviour re-records them (fixtures/README.md says how) and says
// so in its commit.
//
// A model's float results repeat bit for bit only on one CPU class (src/runtime/cpu-class.ts), so
// model logs sit in one folder per class. Every set's generator, predictor and reward replay
// anywhere (they compute on recorded messages); a set's learner replays on its own class.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import { readEpisodeLog } from "../../src/protocol/log.ts";
import { ACTOR_IDS } from "../../src/protocol/messages.ts";
import { runConfigFrom } from "../../src/runtime/config.ts";
import { cpuClass } from "../../src/runtime/cpu-class.ts";
import { replayActor } from "../../src/runtime/replay.ts";

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const DIR = join(ROOT, "fixtures/logs");
const HERE = cpuClass();
const CLASSES = readdirSync(DIR).filter((f) => statSync(join(DIR, f)).isDirectory()).sort();
const logsIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".spzlog")).sort();
const MODEL_LOGS = ["default-pretrainzero.spzlog", "tiny-azr.spzlog", "tiny-entropy.spzlog", "tiny-next-token.spzlog", "tiny-pretrainzero.spzlog", "tiny-random-span.spzlog"];

test("the fixture logs cover the simulator, and, for each CPU class, the tasks that predate the task registry on the tiny fixture and PretrainZero on the default model", () => {
  expect(logsIn(DIR)).toEqual(["sim-pretrainzero.spzlog"]);
  expect(CLASSES.length).toBeGreaterThan(0);
  for (const c of CLASSES) expect(logsIn(join(DIR, c))).toEqual(MODEL_LOGS);
});

const SETS: { file: string; path: string; learner: boolean; cls: string }[] = [
  { file: "sim-pretrainzero.spzlog", path: join(DIR, "sim-pretrainzero.spzlog"), learner: true, cls: "any" },
  ...CLASSES.flatMap((cls) => logsIn(join(DIR, cls)).map((file) => ({ file: `${cls}/${file}`, path: join(DIR, cls, file), learner: cls === HERE, cls }))),
];

if (!existsSync(join(DIR, HERE))) console.log(`note: no model logs were recorded on this CPU class (${HERE}); their learners are not replayed here`);

for (const set of SETS) {
  describe(set.file, () => {
    for (const actor of ACTOR_IDS) {
      const run = actor !== "learner" || set.learner ? test : test.skip;
      run(`the ${actor} replays it bit for bit${actor === "learner" && !set.learner ? ` (recorded on ${set.cls}, this CPU is ${HERE})` : ""}`, async () => {
        const log = readEpisodeLog(set.path, { lazy: true, only: actor });
        const recorded = runConfigFrom(log.header.config as Record<string, unknown>);
        // The header's model folder is relative to the repository root, where the logs were recorded.
        const config = { ...recorded, model: { ...recorded.model, dir: resolve(ROOT, recorded.model.dir) }, faults: [] };
        const r = await replayActor({ log, actor, factory: ACTORS[actor].factory, config, stopAtDivergence: true, stallMs: 60_000 });
        expect(r.divergences).toEqual([]);
        expect(r.compared).toBe(log.records.filter((x) => x.from === actor).length);
        expect(r.compared).toBeGreaterThan(0);
      });
    }
  });
}
