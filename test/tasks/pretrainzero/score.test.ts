import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { masksForPassage, scorePassage } from "../../../src/tasks/pretrainzero/score.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

describe("scorePassage", () => {
  const passage = "France rejoined NATO in 2009 and plays a global role in NATO.";
  const completions = ["\\mask{NATO}", "no mask here", "\\mask{Germany}", "\\mask{2009}"];
  const masks = masksForPassage({ passageKey: "s0/p0", passage, completions, seed: 1, step: 0 });

  test("invalid masks are recorded with their reason and never reach the predictor", () => {
    expect(masks.map((m) => m.invalid ?? "ok")).toEqual(["ok", "no-mask", "not-in-passage", "ok"]);
    expect(masks[0]!.masked).toBe("France rejoined [mask] in 2009 and plays a global role in [mask].");
  });

  test("generator rewards follow the min-max rule and invalid masks earn 0", () => {
    const predictions = new Map([
      ["s0/p0/g0", ["\\boxed{NATO}", "\\boxed{EU}", "\\boxed{NATO}", "\\boxed{UN}"]],
      ["s0/p0/g3", ["\\boxed{2010}", "\\boxed{2011}", "\\boxed{1999}", "\\boxed{2008}"]],
    ]);
    const groups = scorePassage({ passageKey: "s0/p0", masks, predictions, design: "minmax" });
    expect(groups[0]).toEqual({ role: "generator", key: "s0/p0", rewards: [0.5, 0, 0, 0], spanWords: [1, 0, 0, 1], invalid: 2 });
    expect(groups.slice(1)).toEqual([
      { role: "predictor", key: "s0/p0/g0", rewards: [1, 0, 1, 0], acc: 0.5 },
      { role: "predictor", key: "s0/p0/g3", rewards: [0, 0, 0, 0], acc: 0 },
    ]);
    const plain = scorePassage({ passageKey: "s0/p0", masks, predictions, design: "plain" });
    expect(plain[0]!.rewards).toEqual([0.5, 0, 0, 1]);
  });

  test("a valid mask without predictions is an error naming it", () => {
    expect(() => scorePassage({ passageKey: "s0/p0", masks, predictions: new Map(), design: "minmax" })).toThrow(/s0\/p0\/g0/);
  });
});
