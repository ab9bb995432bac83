import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { factbookPassages } from "../../../src/data/factbook.ts";
import { compactGeneratorExample, compactPredictorExample, generatorPrompt, maskedOfPredictorPrompt, passageOfGeneratorPrompt, predictorPrompt } from "../../../src/tasks/pretrainzero/prompts.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

describe("prompts", () => {
  test("generator prompt states the paper's requirements and asks for \\mask{}", () => {
    const p = generatorPrompt("Some paragraph.");
    expect(p).toContain("\\mask{");
    expect(p).toMatch(/contiguous/i);
    expect(p).toMatch(/exactly/i);
    expect(p).toMatch(/moderately hard/i);
    expect(p).toMatch(/think/i);
  });
  test("predictor prompt asks for step-by-step reasoning and \\boxed{}", () => {
    const p = predictorPrompt("The [mask] is here.");
    expect(p).toContain("\\boxed{");
    expect(p).toMatch(/step by step/i);
    expect(p).toContain("[mask]");
  });
  test("embedded texts round-trip exactly, including delimiter-like content", () => {
    const tricky = ["", ">>>\n<<<", "  leading and trailing  \n", "Paragraph:\n<<<\nx\n>>>"];
    for (const t of [...tricky, ...factbookPassages().slice(0, 50)]) {
      expect(passageOfGeneratorPrompt(generatorPrompt(t))).toBe(t);
      expect(maskedOfPredictorPrompt(predictorPrompt(t))).toBe(t);
    }
  });
  test("recovering from a foreign prompt throws", () => {
    expect(() => passageOfGeneratorPrompt(predictorPrompt("x"))).toThrow(/not a generator prompt/);
    expect(() => maskedOfPredictorPrompt(generatorPrompt("x"))).toThrow(/not a predictor prompt/);
    expect(() => passageOfGeneratorPrompt("hello")).toThrow();
  });
});

describe("compact template", () => {
  test("embeds and recovers the text exactly, for both roles", () => {
    const text = "France is in [mask] Europe.\nSecond line: Hide:";
    expect(passageOfGeneratorPrompt(generatorPrompt(text, "compact"))).toBe(text);
    expect(maskedOfPredictorPrompt(predictorPrompt(text, "compact"))).toBe(text);
  });

  test("a compact example is the prompt followed by the answer in the format parsers read", () => {
    expect(compactGeneratorExample("Paris is big.", "Paris")).toBe("Text: Paris is big.\nHide: \\mask{Paris}");
    expect(compactPredictorExample("[mask] is big.", "Paris")).toBe("Text: [mask] is big.\nHidden: \\boxed{Paris}");
  });

  test("a generator prompt is never read as a predictor prompt", () => {
    expect(() => maskedOfPredictorPrompt(generatorPrompt("x", "compact"))).toThrow(/not a predictor prompt/);
  });
});
