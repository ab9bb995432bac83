import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evalScalars, TensorBoardWriter, trainScalars } from "../../src/runtime/sinks/tensorboard.ts";
import { eventFiles, readEventFile, scalarsByStep } from "./tf-event-reader.ts";

const root = mkdtempSync(join(tmpdir(), "spz-tb-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const row = (step: number) => ({ step, version: step + 1, genReward: 0.25 + step / 8, predAcc: 1 / 3, digest: "abc", wall: { elapsedS: 1.5 * (step + 1) } });

test("an event file starts with brain.Event:2 and holds one simple_value per metric per step, read back by protobufjs with CRCs checked", () => {
  const dir = join(root, "plain");
  const w = TensorBoardWriter.open(dir, undefined, () => 1_700_000_000.25);
  for (let s = 0; s < 3; s++) w.scalars(s, trainScalars(row(s)));
  w.scalars(2, evalScalars({ step: 2, evalMaskAcc: 0.5, evalNll: 3.25, evalMasks: 8, digest: "x", wall: { seconds: 2 } }));
  w.close();
  const files = eventFiles(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/events\.out\.tfevents\.1700000000\./);
  const events = readEventFile(files[0]!);
  expect(events[0]).toEqual({ wallTime: 1_700_000_000.25, step: 0, fileVersion: "brain.Event:2", values: [] });
  expect(events).toHaveLength(5);
  expect(events[2]!.step).toBe(1);
  expect(events[2]!.values).toEqual([
    { tag: "train/genReward", simpleValue: 0.375 },
    { tag: "train/predAcc", simpleValue: Math.fround(1 / 3) },
    { tag: "wall/elapsedS", simpleValue: 3 },
  ]);
  expect(events[4]!.values.map((v) => v.tag)).toEqual(["eval/maskAcc", "eval/nll", "eval/masks", "wall/evalSeconds"]);
});

test("a resume cuts the older file back to its checkpoint (a torn tail too), writes a new file, and backfills steps the old files lack", () => {
  const dir = join(root, "resumed");
  let clock = 1_700_000_000;
  const w = TensorBoardWriter.open(dir, undefined, () => clock);
  for (let s = 0; s < 5; s++) if (s !== 2) w.scalars(s, trainScalars(row(s)));
  w.scalars(2, evalScalars({ step: 2, evalMaskAcc: 0.5, wall: { seconds: 3 } }));
  w.scalars(4, evalScalars({ step: 4, evalMaskAcc: 0.75, wall: { seconds: 3 } }));
  w.close();
  const first = eventFiles(dir)[0]!;
  appendFileSync(first, new Uint8Array([1, 2, 3, 4, 5])); // a crash mid-append
  clock += 60;
  // Resume at checkpoint 3: steps 0-2 kept (step 2's row is missing from the file: backfilled), eval at 2 kept, eval at 4 cut.
  const w2 = TensorBoardWriter.open(dir, { fromStep: 3, trainRows: () => [0, 1, 2].map(row), evalRows: () => [{ step: 2, evalMaskAcc: 0.5, wall: { seconds: 3 } }] }, () => clock);
  for (let s = 3; s < 5; s++) w2.scalars(s, trainScalars(row(s)));
  w2.close();
  const files = eventFiles(dir);
  expect(files).toHaveLength(2);
  expect(files[0]).toBe(first);
  expect(() => readEventFile(first)).not.toThrow();
  const by = scalarsByStep(dir); // throws on a (step, tag) written twice
  expect([...by.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
  expect(by.get(2)!.get("train/genReward")).toBe(0.5);
  expect(by.get(2)!.get("eval/maskAcc")).toBe(0.5);
  expect(by.get(4)!.has("eval/maskAcc")).toBe(false);
  expect(readEventFile(files[1]!)[0]!.fileVersion).toBe("brain.Event:2");
});

test("a file a resume leaves whole is not rewritten", () => {
  const dir = join(root, "untouched");
  const w = TensorBoardWriter.open(dir, undefined, () => 1_700_000_000);
  w.scalars(0, trainScalars(row(0)));
  w.close();
  const f = eventFiles(dir)[0]!;
  const before = readFileSync(f);
  const mtime = statSync(f).mtimeMs;
  TensorBoardWriter.open(dir, { fromStep: 1, trainRows: () => [row(0)], evalRows: () => [] }, () => 1_700_000_001).close();
  expect(readFileSync(f)).toEqual(before);
  expect(statSync(f).mtimeMs).toBe(mtime);
  expect(scalarsByStep(dir).get(0)!.size).toBe(3);
});
