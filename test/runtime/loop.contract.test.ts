// One contract, run over every transport: the same actors must produce the same run, message for
// message, whether each lives in its own Bun worker or all share this thread.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import { readEpisodeLog } from "../../src/protocol/log.ts";
import type { RunConfig, TransportKind } from "../../src/runtime/config.ts";
import { SMALL } from "../helpers/configs.ts";
import { runSelfPlay, type RunOutcome } from "../../src/runtime/run.ts";


// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-contract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runs = new Map<string, RunOutcome>();
async function recorded(transport: TransportKind, name: string, config: RunConfig = SMALL): Promise<{ out: RunOutcome; path: string }> {
  const path = join(dir, `${name}.spzlog`);
  if (!runs.has(name)) runs.set(name, await runSelfPlay({ config, transport, actors: ACTORS, recordPath: path }));
  return { out: runs.get(name)!, path };
}

for (const transport of ["inproc", "worker"] as const) {
  describe(`self-play loop over the ${transport} transport`, () => {
    test("runs every step and reports the adversarial metrics", async () => {
      const { out } = await recorded(transport, `${transport}-a`);
      expect(out.steps).toBe(SMALL.steps);
      expect(out.stats).toHaveLength(SMALL.steps);
      for (const s of out.stats) {
        expect(s.episodes).toBe(SMALL.passages * SMALL.genSamples);
        expect(s.predAcc).toBeGreaterThanOrEqual(0);
        expect(s.predAcc).toBeLessThanOrEqual(1);
        expect(s.zeroVarFrac).toBeGreaterThanOrEqual(0);
        expect(s.spanWords).toBeGreaterThan(0);
      }
      expect(out.restarts).toEqual({ generator: 0, predictor: 0, reward: 0, learner: 0 });
      expect(out.duplicatesDropped).toBe(0);
    }, 60_000);

    test("two runs with the same seed write byte-identical logs", async () => {
      const a = await recorded(transport, `${transport}-a`);
      const b = await recorded(transport, `${transport}-b`);
      expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true);
      expect(a.out.finalDigest).toBe(b.out.finalDigest);
    }, 60_000);

    test("every episode appears exactly once in the log", async () => {
      const { path } = await recorded(transport, `${transport}-a`);
      const log = readEpisodeLog(path);
      const ids = log.records.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      const answers = log.records.filter((r) => r.type === "answers");
      expect(answers).toHaveLength(SMALL.steps * SMALL.passages);
      const maskIds = answers.flatMap((r) => (r.msg.type === "answers" ? r.msg.answers.map((a) => a.maskId) : []));
      expect(new Set(maskIds).size).toBe(SMALL.steps * SMALL.passages * SMALL.genSamples);
      expect(log.records.filter((r) => r.type === "scored")).toHaveLength(SMALL.steps * SMALL.passages);
      const seqs = log.records.map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    });

    test("answers every sample request, and the generator asks in chunk-sized requests", async () => {
      const { path } = await recorded(transport, `${transport}-a`);
      const log = readEpisodeLog(path);
      // Every request is answered, and the generator split its paragraphs into chunk-sized requests.
      const requests = log.records.filter((r) => r.type === "sample.request");
      const responses = log.records.filter((r) => r.type === "sample.response");
      expect(responses).toHaveLength(requests.length);
      const gen = requests.filter((r) => r.from === "generator");
      expect(gen).toHaveLength(SMALL.steps * Math.ceil(SMALL.passages / SMALL.chunk));
    });
  });
}

test("the worker and in-process transports produce the same log, byte for byte", async () => {
  const a = await recorded("inproc", "inproc-a");
  const b = await recorded("worker", "worker-a");
  expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true);
});

test("a different seed gives a different run", async () => {
  const a = await recorded("inproc", "inproc-a");
  const c = await recorded("inproc", "inproc-seed8", { ...SMALL, seed: 8 });
  expect(c.out.finalDigest).not.toBe(a.out.finalDigest);
});
