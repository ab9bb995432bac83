import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { generatorReward, normalizeAnswer, parseBoxed, predictorReward } from "../../../src/tasks/pretrainzero/rewards.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

describe("parseBoxed", () => {
  test("takes the last closed \\boxed{} with nested braces", () => {
    expect(parseBoxed("\\boxed{a} then \\boxed{\\frac{1}{2}}")).toBe("\\frac{1}{2}");
    expect(parseBoxed("\\boxed{NATO} and \\boxed{unclosed")).toBe("NATO");
    expect(parseBoxed("no box")).toBeNull();
  });
});

describe("normalizeAnswer", () => {
  test("default trims and collapses whitespace but keeps case and punctuation", () => {
    expect(normalizeAnswer("  the   European\nUnion ")).toBe("the European Union");
    expect(normalizeAnswer("NATO.")).toBe("NATO.");
    expect(normalizeAnswer("a\tb\u00a0 c")).toBe("a b c");
    expect(normalizeAnswer("already tidy")).toBe("already tidy");
    expect(normalizeAnswer("Nato")).not.toBe(normalizeAnswer("NATO"));
  });
  test("options relax case and edge punctuation", () => {
    expect(normalizeAnswer(" Nato. ", { caseSensitive: false, stripEdgePunctuation: true })).toBe("nato");
    expect(normalizeAnswer(" a  b ", { trim: false, collapseWhitespace: false })).toBe(" a  b ");
  });
});

describe("predictorReward", () => {
  test("exact match after normalisation scores 1", () => {
    expect(predictorReward("Reasoning...\n\\boxed{ Islamic Salvation  Front }", "Islamic Salvation Front")).toBe(1);
  });
  test("wrong, differently cased or missing answers score 0", () => {
    expect(predictorReward("\\boxed{Salvation Front}", "Islamic Salvation Front")).toBe(0);
    expect(predictorReward("\\boxed{nato}", "NATO")).toBe(0);
    expect(predictorReward("NATO", "NATO")).toBe(0);
  });
  test("only the last box counts", () => {
    expect(predictorReward("\\boxed{NATO} no wait \\boxed{EU}", "NATO")).toBe(0);
  });
  test("case-insensitive option", () => {
    expect(predictorReward("\\boxed{nato}", "NATO", { caseSensitive: false })).toBe(1);
  });
});

describe("generatorReward", () => {
  const G = 8;
  test("minmax pays 1 - acc for partly solved masks, maximum 1 - 1/G", () => {
    expect(generatorReward(3 / G, "minmax")).toBeCloseTo(5 / 8, 12);
    const best = Math.max(...Array.from({ length: G + 1 }, (_, k) => generatorReward(k / G, "minmax")));
    expect(best).toBe(1 - 1 / G);
  });
  test("minmax pays 0 for unsolvable (acc 0) and trivial (acc 1) masks", () => {
    expect(generatorReward(0, "minmax")).toBe(0);
    expect(generatorReward(1, "minmax")).toBe(0);
  });
  test("plain pays 1 - acc always, so unsolvable masks earn the most", () => {
    expect(generatorReward(0, "plain")).toBe(1);
    expect(generatorReward(1, "plain")).toBe(0);
    expect(generatorReward(0.25, "plain")).toBe(0.75);
  });
  test("random reports the minmax reward", () => {
    for (const acc of [0, 1 / 8, 0.5, 1]) expect(generatorReward(acc, "random")).toBe(generatorReward(acc, "minmax"));
  });
  test("accuracy outside [0, 1] is an error", () => {
    expect(() => generatorReward(1.5, "minmax")).toThrow(RangeError);
  });
});
