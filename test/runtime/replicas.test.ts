// Replicas split a step's work by item key and never change a byte of the log: the same run with
// one replica per role and with several writes the same episode log, for every task the simulator
// and the tiny fixture play (src/runtime/routing.ts).

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import type { ActorId } from "../../src/protocol/messages.ts";
import type { RunConfig } from "../../src/runtime/config.ts";
import { runSelfPlay } from "../../src/runtime/run.ts";
import { itemKey, parseReplicas, replicaOfKey, route } from "../../src/runtime/routing.ts";
import { SMALL } from "../helpers/configs.ts";

setDefaultTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), "spz-replicas-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function logOf(config: RunConfig, replicas: Partial<Record<ActorId, number>>) {
  const path = join(dir, `r${n++}.spzlog`);
  // Count the replicas actually started, by the share each was given.
  const started: Record<string, Set<number>> = {};
  const actors = Object.fromEntries(
    Object.entries(ACTORS).map(([id, m]) => [
      id,
      {
        ...m,
        factory: (env: Parameters<typeof m.factory>[0]) => {
          (started[id] ??= new Set()).add(env.replica.index);
          return m.factory(env);
        },
      },
    ]),
  ) as typeof ACTORS;
  const out = await runSelfPlay({ config, transport: "inproc", actors, recordPath: path, replicas });
  const count = Object.fromEntries(Object.entries(started).map(([k, v]) => [k, v.size]));
  return { bytes: readFileSync(path), restarts: Object.values(out.restarts).reduce((a, b) => a + b, 0), count };
}

describe("routing", () => {
  test.each([
    ["000003|generator|masks|s3/p1", "s3/p1"],
    ["000003|predictor|predictions|s3/p1", "s3/p1"],
    ["000010|learner|sample.response|000010|generator|sample.request|c2", "000010|generator|sample.request|c2"],
    ["no-bars", "no-bars"],
  ])("the item key of %s is %s", (id, key) => expect(itemKey(id)).toBe(key));

  test("the two halves a reward replica joins go to the same replica", () => {
    for (let p = 0; p < 50; p++) {
      const answers = { v: 1 as const, id: `000001|generator|answers|s1/p${p}`, from: "generator" as const, to: "reward" as const, msg: { type: "answers", step: 1 } as never };
      const predictions = { ...answers, id: `000001|predictor|predictions|s1/p${p}`, from: "predictor" as const };
      expect(route(answers, 3, () => undefined)).toEqual(route(predictions, 3, () => undefined));
    }
  });

  test("a response goes to the replica that sent its request; a version to every replica", () => {
    const res = { v: 1 as const, id: "000001|learner|sample.response|x", from: "learner" as const, to: "predictor" as const, msg: { type: "sample.response", step: 1, request: "x" } as never };
    expect(route(res, 4, (r) => (r === "x" ? 2 : undefined))).toEqual([2]);
    const version = { ...res, msg: { type: "policy.version", step: 1 } as never };
    expect(route(version, 3, () => undefined)).toEqual([0, 1, 2]);
  });

  test("keys spread over the replicas", () => {
    const hits = [0, 0, 0, 0];
    for (let p = 0; p < 400; p++) hits[replicaOfKey(`s1/p${p}`, 4)]!++;
    for (const h of hits) expect(h).toBeGreaterThan(60);
  });

  test.each([
    ["generator=2,predictor=4,reward=2", { generator: 2, predictor: 4, reward: 2, learner: 1 }],
    ["", { generator: 1, predictor: 1, reward: 1, learner: 1 }],
  ])("--replicas %p", (spec, counts) => expect(parseReplicas(spec)).toEqual(counts));

  test.each([
    ["learner=2", /learner runs as one process/],
    ["critic=2", /unknown role "critic"/],
    ["predictor", /not role=count/],
    ["predictor=0", /out of range/],
  ])("--replicas %p is refused", (spec, re) => expect(() => parseReplicas(spec)).toThrow(re));
});

const TASKS: { task: string; config: RunConfig; replicas: Partial<Record<ActorId, number>> }[] = [
  { task: "pretrainzero (simulator)", config: SMALL, replicas: { generator: 2, predictor: 3, reward: 2 } },
  { task: "pretrainzero, more replicas than chunks", config: { ...SMALL, steps: 2 }, replicas: { generator: 5, predictor: 7, reward: 4 } },
];

for (const { task, config, replicas } of TASKS) {
  test(`${task}: the log with replicas ${JSON.stringify(replicas)} is byte-identical to one replica per role`, async () => {
    const one = await logOf(config, {});
    const many = await logOf(config, replicas);
    expect(many.restarts).toBe(0);
    expect(many.count).toEqual({ learner: 1, generator: 1, predictor: 1, reward: 1, ...replicas });
    expect(many.bytes.equals(one.bytes)).toBe(true);
  });
}
