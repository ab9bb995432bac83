// The default run folder name: the command and the start time, plus a random suffix so that two
// runs started in the same second never share (and clobber) a folder.

import { expect, test } from "bun:test";
import { checkRunName, defaultRunName } from "../../src/runtime/run-dir.ts";

const AT = new Date(2026, 11, 2, 9, 5, 7);

test("names differ for runs started in the same second", () => {
  const names = new Set(Array.from({ length: 50 }, () => defaultRunName("train", AT)));
  expect(names.size).toBe(50);
});

test("a name is the command, the local start time and six lowercase letters or digits", () => {
  const name = defaultRunName("self-play", AT);
  expect(name).toMatch(/^self-play-20261202-090507-[0-9a-z]{6}$/);
  expect(() => checkRunName(name)).not.toThrow();
});
