// An actor that fails the same way on every restart ends the run at its first failure (or first
// repeat), with that failure's one-line message, instead of being restarted until the limit.
// Genuine crashes mid-run are still restarted: test/runtime/supervision.test.ts.

import { expect, setDefaultTimeout, test } from "bun:test";
import { fromCallback } from "xstate";
import { ACTORS } from "../../actors/index.ts";
import type { ActorModule } from "../../src/runtime/hub.ts";
import { oneLineReason, RunFailed } from "../../src/runtime/hub.ts";
import { runSelfPlay } from "../../src/runtime/run.ts";
import type { ActorId } from "../../src/protocol/messages.ts";
import { SMALL } from "../helpers/configs.ts";

// Worker start-up takes a while on 2 shared cores.
setDefaultTimeout(60_000);

const badCorpus = { ...SMALL, corpus: { ...SMALL.corpus, path: "/nonexistent/corpus.txt" } };

async function failure(run: Promise<unknown>): Promise<RunFailed> {
  try {
    await run;
  } catch (e) {
    expect(e).toBeInstanceOf(RunFailed);
    return e as RunFailed;
  }
  throw new Error("the run did not fail");
}

for (const transport of ["inproc", "worker"] as const) {
  test(`a start-up failure (${transport}) stops the run at once with the actor's one-line message`, async () => {
    const t0 = performance.now();
    const e = await failure(runSelfPlay({ config: badCorpus, transport, actors: ACTORS }));
    expect(e.message).toMatch(/^generator failed at start-up, not restarted .*: no such file or directory: \/nonexistent\/corpus\.txt; accepted: /);
    expect(e.message).not.toMatch(/\n|\bat \S+ \(|\d+ \| |CorpusError/);
    expect(e.message.length).toBeLessThan(400);
    // The corpus error is bad input: its exit code travels with the failure.
    expect(e.exitCode).toBe(2);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
}

test("a restarted actor that fails the same way at the same point gives up after that one restart", async () => {
  let incarnations = 0;
  // A reward actor that hands in a checkpoint (so it has made progress), then fails on its first message, every time.
  const flaky: ActorModule = {
    workerUrl: ACTORS.reward.workerUrl,
    factory: (env) => {
      incarnations++;
      env.checkpoint(0, new Uint8Array([1]));
      return fromCallback(({ receive }) => {
        receive(() => {
          throw new Error("reward table is inconsistent");
        });
      });
    },
  };
  const actors: Record<ActorId, ActorModule> = { ...ACTORS, reward: flaky };
  const e = await failure(runSelfPlay({ config: SMALL, transport: "inproc", actors }));
  expect(e.message).toBe("reward failed the same way after a restart, giving up: reward table is inconsistent");
  expect(e.exitCode).toBe(1);
  expect(incarnations).toBe(2);
});

test("a worker's uncaught-error report becomes its message line", () => {
  const report = [
    "145 |     } catch {",
    "146 |       throw new CorpusError(`no such file or directory: ${path}; ${ACCEPTED_FORMATS}`);",
    "                 ^",
    "CorpusError: empty.txt is empty (0 bytes); a corpus needs at least one document",
    " exitCode: 2,",
    "",
    "      at openCorpus (/work/src/data/corpus.ts:150:41)",
    "      at loadPassages (/work/src/data/corpus.ts:641:18)",
  ].join("\n");
  expect(oneLineReason(report)).toBe("empty.txt is empty (0 bytes); a corpus needs at least one document");
  expect(oneLineReason("error: plain Error message\n  at x (y.ts:1:2)")).toBe("plain Error message");
  expect(oneLineReason("worker exited")).toBe("worker exited");
  expect(oneLineReason(`x${"y".repeat(1000)}`).length).toBeLessThanOrEqual(400);
});
