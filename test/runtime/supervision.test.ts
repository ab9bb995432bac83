// A worker that throws or exits mid-step is restarted, its in-flight messages are re-sent, and
// the run's log is exactly what an undisturbed run writes: every episode once, nothing lost.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import { encodeValue } from "../../src/protocol/codec.ts";
import { readEpisodeLog } from "../../src/protocol/log.ts";
import { ACTOR_IDS, type ActorId } from "../../src/protocol/messages.ts";
import type { FaultPlan, RunConfig, TransportKind } from "../../src/runtime/config.ts";
import { RunFailed } from "../../src/runtime/hub.ts";
import { runSelfPlay } from "../../src/runtime/run.ts";
import { SMALL } from "../helpers/configs.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-supervision-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function recordWith(transport: TransportKind, faults: FaultPlan[], config: RunConfig = SMALL) {
  const path = join(dir, `run-${n++}.spzlog`);
  const out = await runSelfPlay({ config: { ...config, faults }, transport, actors: ACTORS, recordPath: path });
  // Compare everything after the header: the header names the injected faults.
  const records = readEpisodeLog(path).records.map((r) => Buffer.from(encodeValue(r)).toString("base64"));
  return { out, records };
}

const clean = new Map<TransportKind, string[]>();
async function cleanRecords(transport: TransportKind) {
  if (!clean.has(transport)) clean.set(transport, (await recordWith(transport, [])).records);
  return clean.get(transport)!;
}

const cases: { actor: ActorId; kind: FaultPlan["kind"]; atMessage: number }[] = [
  { actor: "learner", kind: "throw", atMessage: 5 },
  { actor: "generator", kind: "exit", atMessage: 2 },
  { actor: "predictor", kind: "throw", atMessage: 3 },
  { actor: "reward", kind: "exit", atMessage: 4 },
];

for (const transport of ["worker", "inproc"] as const) {
  describe(`supervision over the ${transport} transport`, () => {
    for (const c of cases) {
      test(`a ${c.actor} that ${c.kind === "throw" ? "throws" : "exits"} mid-step is restarted and the log is unchanged`, async () => {
        const { out, records } = await recordWith(transport, [{ actor: c.actor, step: 1, atMessage: c.atMessage, kind: c.kind }]);
        expect(out.restarts[c.actor]).toBe(1);
        for (const other of ACTOR_IDS) if (other !== c.actor) expect(out.restarts[other]).toBe(0);
        expect(records).toEqual(await cleanRecords(transport));
      }, 60_000);
    }
  });
}

test("an actor that keeps failing ends the run with a clear error", async () => {
  // Faults fire only in a host's first incarnation, so fail every step's first message by restarting past the limit.
  const faults: FaultPlan[] = [{ actor: "reward", step: 0, atMessage: 1, kind: "throw" }];
  const run = runSelfPlay({ config: { ...SMALL, faults }, transport: "inproc", actors: ACTORS, maxRestarts: 0 });
  await expect(run).rejects.toBeInstanceOf(RunFailed);
  await expect(runSelfPlay({ config: { ...SMALL, faults }, transport: "inproc", actors: ACTORS, maxRestarts: 0 })).rejects.toThrow(/reward failed 1 times/);
});
