// Replay re-drives one actor from a recording and must reproduce it bit for bit; a deliberate
// change must be caught at the exact step where it first changes a message.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import { readEpisodeLog, type EpisodeLog } from "../../src/protocol/log.ts";
import { ACTOR_IDS } from "../../src/protocol/messages.ts";
import type { RunConfig } from "../../src/runtime/config.ts";
import { replayActor } from "../../src/runtime/replay.ts";
import { runSelfPlay } from "../../src/runtime/run.ts";
import { SMALL } from "../helpers/configs.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG: RunConfig = { ...SMALL, steps: 6, seed: 11 };
let log: EpisodeLog;

beforeAll(async () => {
  const path = join(dir, "run.spzlog");
  await runSelfPlay({ config: CONFIG, transport: "inproc", actors: ACTORS, recordPath: path });
  log = readEpisodeLog(path);
});

function replay(actor: (typeof ACTOR_IDS)[number], config: RunConfig = CONFIG, stop = true) {
  return replayActor({ log, actor, factory: ACTORS[actor].factory, config, stopAtDivergence: stop, stallMs: 2000 });
}

describe("replaying a recording", () => {
  for (const actor of ACTOR_IDS) {
    test(`re-drives the ${actor} alone and matches every message it sent`, async () => {
      const r = await replay(actor);
      expect(r.divergences).toEqual([]);
      expect(r.compared).toBe(log.records.filter((x) => x.from === actor).length);
      expect(r.fed).toBe(log.records.filter((x) => x.to === actor).length);
    });
  }

  test("the learner's parameter digest is checked at every step", async () => {
    const digests: string[] = [];
    await replayActor({
      log, actor: "learner", factory: ACTORS.learner.factory, config: CONFIG, stopAtDivergence: true,
      onStep: (s) => s.digest && digests.push(s.digest),
    });
    const recorded = log.records.flatMap((r) => (r.msg.type === "policy.version" ? [r.msg.digest] : []));
    expect(digests).toEqual(recorded);
    expect(new Set(digests).size).toBe(CONFIG.steps + 1);
  });
});

describe("a deliberately changed run is caught at the exact step", () => {
  test("a reward actor with another reward design diverges at the first step with an unsolved mask", async () => {
    // minmax and plain differ only where a mask's accuracy is 0: there minmax pays 0, plain pays 1.
    const unsolvedSteps = log.records.flatMap((r) =>
      r.msg.type === "scored" && r.msg.groups.some((g) => g.role === "predictor" && g.acc === 0) ? [r.step] : [],
    );
    expect(unsolvedSteps.length).toBeGreaterThan(0);
    const r = await replay("reward", { ...CONFIG, design: "plain" });
    expect(r.divergences).toHaveLength(1);
    const d = r.divergences[0]!;
    expect(d.step).toBe(Math.min(...unsolvedSteps));
    expect(d.type).toBe("scored");
    expect(d.kind).toBe("different");
    expect(d.diff.some((l) => l.path.startsWith("groups[0].rewards") && l.recorded === "0" && l.replayed === "1")).toBe(true);
  });

  test("a learner with another learning rate diverges at its first update, not before", async () => {
    const r = await replay("learner", { ...CONFIG, sim: { ...CONFIG.sim, predLr: CONFIG.sim.predLr * 2 } });
    const d = r.divergences[0]!;
    expect(d.step).toBe(1);
    expect(d.type).toBe("policy.version");
    expect(d.diff.map((l) => l.path)).toContain("digest");
  });

  test("a recording whose step-3 rewards were altered is caught at the update they fed", async () => {
    const tampered: EpisodeLog = structuredClone(log);
    const rec = tampered.records.find((r) => r.step === 3 && r.msg.type === "scored")!;
    if (rec.msg.type !== "scored") throw new Error("unreachable");
    const group = rec.msg.groups.find((g) => g.role === "predictor" && g.rewards.some((x) => x === 0) && g.rewards.some((x) => x === 1))!;
    group.rewards = group.rewards.map((x) => 1 - x);
    const r = await replayActor({ log: tampered, actor: "learner", factory: ACTORS.learner.factory, config: CONFIG, stopAtDivergence: true, stallMs: 2000 });
    const d = r.divergences[0]!;
    // Version 4 is announced for step 4 and carries the parameters trained on step 3.
    expect(d.step).toBe(4);
    expect(d.type).toBe("policy.version");
    expect(d.diff.map((l) => l.path)).toContain("digest");
  });

  test("without stopping, every divergent message is listed", async () => {
    const r = await replay("reward", { ...CONFIG, design: "plain" }, false);
    expect(r.divergences.length).toBeGreaterThan(1);
    expect(r.compared).toBe(log.records.filter((x) => x.from === "reward").length);
  });
});
