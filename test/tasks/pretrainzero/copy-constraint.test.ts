import { describe, expect, test } from "bun:test";
import { copyConstraint } from "../../../src/tasks/pretrainzero/copy-constraint.ts";

describe("the copy constraint lets the generator spell only paragraph text on word boundaries", () => {
  const accept = copyConstraint("Trafficking offenders further endanger the victims of the trade.");
  const table: [string, boolean][] = [
    ["", true],
    [" ", true],
    [" \\mas", true],
    [" \\mask{", true],
    [" \\mask{vic", true],
    [" \\mask{victims of", true],
    [" \\mask{victims}", true],
    [" \\mask{the victims}", true],
    [" \\mask{victims of the trade}", true],
    [" \\mask{trade.}", true],
    [" \\mask{victims}\n", true],
    [" \\mask{ictims", false],
    [" \\mask{victim}", false],
    [" \\mask{he}", false],
    [" \\mask{}", false],
    [" \\mask{victims}.", false],
    [" \\mask{villains", false],
    [" \\mask{the victims of the crime", false],
    ["Reasoning: pick a name. \\mask{offenders}", true],
    ["\\mask{nonsense} then \\mask{offenders}", true],
  ];
  for (const [text, ok] of table) {
    test(`${JSON.stringify(text)} -> ${ok ? "allowed" : "refused"}`, () => expect(accept(text)).toBe(ok));
  }
});

test("braces and backslashes never enter a copied span, where parseMask would read them differently", () => {
  const accept = copyConstraint("The set x = {a, b} holds two names.");
  expect(accept(" \\mask{x = {a")).toBe(false);
  expect(accept(" \\mask{two names}")).toBe(true);
});
