// Faults on the NATS transport, each against the log of an undisturbed in-process run:
//   - an actor process SIGKILLed mid-step: its slot goes to the next process of its role to join
//     (the supervisor's replacement, or a standby), which gets the replica's in-flight work again;
//   - the network between every client and nats-server gone for 3 s: the links resume, nothing lost;
//   - nats-server itself killed and restarted on its JetStream folder;
//   - two runs on one server at once: neither sees the other's messages, and a second hub for the
//     same run name is refused.
// Every faulted run must write the same episode log, byte for byte.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTORS } from "../../actors/index.ts";
import type { ActorId, Envelope } from "../../src/protocol/messages.ts";
import type { RunConfig } from "../../src/runtime/config.ts";
import type { NatsSettings } from "../../src/runtime/nats/connect.ts";
import { NatsHubTransport } from "../../src/runtime/nats/hub-transport.ts";
import { startNatsRun } from "../../src/runtime/nats/run.ts";
import { superviseRole } from "../../src/runtime/nats/supervisor.ts";
import { REPLICABLE } from "../../src/runtime/routing.ts";
import { runSelfPlay } from "../../src/runtime/run.ts";
import { SMALL } from "../helpers/configs.ts";
import { natsForFile, natsServer } from "../helpers/nats.ts";
import { tcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

setDefaultTimeout(120_000);

const shared = natsForFile();
const missing = shared.missing;
const dir = mkdtempSync(join(tmpdir(), "spz-nats-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG: RunConfig = { ...SMALL, steps: 4 };
const REPLICAS: Record<ActorId, number> = { generator: 2, predictor: 2, reward: 2, learner: 1 };

let n = 0;
async function inprocLog(config: RunConfig): Promise<Buffer> {
  const path = join(dir, `ref${n++}.spzlog`);
  await runSelfPlay({ config, transport: "inproc", actors: ACTORS, recordPath: path });
  return readFileSync(path);
}

interface NatsRunOptions {
  settings?: NatsSettings;
  run?: string;
  /** Sees every message of the run (once), with the run's local processes at hand. */
  onMessage?: (env: Envelope, pids: (role: ActorId) => number[]) => void;
  standby?: ActorId;
}

async function natsLog(config: RunConfig, o: NatsRunOptions = {}) {
  const settings = o.settings ?? { url: shared.get().url, token: shared.get().token };
  const run = o.run ?? `f${n++}`;
  const path = join(dir, `${run}.spzlog`);
  const nats = await startNatsRun({ settings, run, replicas: REPLICAS, spawn: REPLICABLE, say: () => {} });
  const standby = o.standby ? await superviseRole({ role: o.standby, count: 1, run, settings, say: () => {} }) : null;
  const pids = (role: ActorId) => nats.supervisors[role]!.pids();
  try {
    const out = await runSelfPlay({ config, transport: "nats", actors: ACTORS, remote: nats.remote, replicas: REPLICAS, recordPath: path, observe: (env) => o.onMessage?.(env, pids) });
    return { bytes: readFileSync(path), restarts: out.restarts, duplicates: out.duplicatesDropped };
  } finally {
    await nats.stop();
    await standby?.stop();
  }
}

describe.skipIf(Boolean(missing))("NATS faults", () => {
  let reference: Buffer;
  beforeAll(async () => {
    reference = await inprocLog(CONFIG);
  });

  test.each(["generator", "predictor", "reward"] as const)("a %s process SIGKILLed mid-step: a restarted process takes its work over and the log is unchanged", async (role) => {
    let killed = 0;
    let seen = 0;
    const r = await natsLog(CONFIG, {
      onMessage: (env, pids) => {
        // The role's second message of step 1: it has more of the step in hand.
        if (killed === 0 && env.msg.step === 1 && env.from === role && ++seen === 2) {
          killed = pids(role)[0]!;
          process.kill(killed, "SIGKILL");
        }
      },
    });
    expect(killed).toBeGreaterThan(0);
    expect(r.restarts[role]).toBe(1);
    expect(r.bytes.equals(reference)).toBe(true);
  });

  test("a predictor SIGKILLed with a standby process waiting: the standby takes over and the log is unchanged", async () => {
    let killed = false;
    const r = await natsLog(CONFIG, {
      standby: "predictor",
      onMessage: (env, pids) => {
        if (!killed && env.msg.step === 2 && env.from === "predictor") {
          killed = true;
          process.kill(pids("predictor")[1]!, "SIGKILL");
        }
      },
    });
    expect(killed).toBe(true);
    expect(r.restarts.predictor).toBe(1);
    expect(r.bytes.equals(reference)).toBe(true);
  });

  test("the NATS connection lost for 3 s mid-step: the run resumes without loss or restart", async () => {
    const proxy: TcpProxy = tcpProxy(shared.get().port);
    let cut = false;
    try {
      const r = await natsLog(CONFIG, {
        settings: { url: `nats://127.0.0.1:${proxy.port}`, token: shared.get().token },
        onMessage: (env) => {
          if (!cut && env.msg.step === 1 && env.msg.type === "predictions") {
            cut = true;
            proxy.cut(3_000);
          }
        },
      });
      expect(cut).toBe(true);
      expect(proxy.dropped).toBeGreaterThan(4);
      expect(r.restarts).toEqual({ generator: 0, predictor: 0, reward: 0, learner: 0 });
      expect(r.bytes.equals(reference)).toBe(true);
    } finally {
      proxy.stop();
    }
  });

  test("nats-server killed and restarted on its JetStream folder mid-step: the run resumes without loss", async () => {
    const own = await natsServer();
    let crashed = false;
    try {
      const r = await natsLog(CONFIG, {
        settings: { url: own.url, token: own.token },
        onMessage: (env) => {
          if (!crashed && env.msg.step === 2 && env.msg.type === "masks") {
            crashed = true;
            void own.stop({ hard: true, keepStore: true }).then(() => Bun.sleep(1_000)).then(() => own.restart());
          }
        },
      });
      expect(crashed).toBe(true);
      expect(r.bytes.equals(reference)).toBe(true);
    } finally {
      await own.stop();
    }
  });

  test("two runs on one server at once: each writes its own undisturbed log", async () => {
    const other: RunConfig = { ...CONFIG, seed: 11 };
    const otherReference = await inprocLog(other);
    const [a, b] = await Promise.all([natsLog(CONFIG, { run: "same-server-a" }), natsLog(other, { run: "same-server-b" })]);
    expect(a.bytes.equals(reference)).toBe(true);
    expect(b.bytes.equals(otherReference)).toBe(true);
    expect(a.bytes.equals(b.bytes)).toBe(false);
  });

  test("a second hub for a run already served on the server is refused", async () => {
    const first = await NatsHubTransport.start({ settings: { url: shared.get().url, token: shared.get().token }, run: "taken", roles: REPLICABLE });
    try {
      await expect(NatsHubTransport.start({ settings: { url: shared.get().url, token: shared.get().token }, run: "taken", roles: REPLICABLE })).rejects.toThrow(/run taken is already served by another hub/);
    } finally {
      await first.close();
    }
  });
});
