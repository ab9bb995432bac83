// The report in a real browser (headless Debian Chromium): the charts are drawn, with data, runs
// overlaid, absent metrics marked, and nothing fetched from the network.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { reportCommand } from "../../src/cli/report.ts";
import { HAVE_CHROMIUM, launchChromium, screenshot, watchErrors } from "../inspector/browser.ts";
import { recordRun } from "../inspector/fixture.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-report-browser-"));
const out = join(dir, "report.html");
let browser: Browser | undefined;
let page: Page;
let errors: string[] = [];
const requests: string[] = [];
let simSteps = 0;

/** A run as a model backend will write it: more fields (entropy, lr, step-time breakdown, ...). */
function modelRun(): string {
  const run = join(dir, "model");
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, "config.json"), JSON.stringify({ command: "train", config: { backend: "onnx", design: "minmax", seed: 2 } }));
  const rows = Array.from({ length: 6 }, (_, step) => ({
    step, version: step + 1, genReward: 0.2 + step / 20, predAcc: 0.3 + step / 30, zeroVarFrac: 0.4, genZeroVarFrac: 0.1, spanWords: 2.5, invalidFrac: 0.05,
    entropy: 2 - step / 10, responseLen: 100 + step, truncFrac: 0.02, clipFrac: 0.1, clipLow: 0.04, clipHigh: 0.06, lr: 5e-7, tokensPerS: 3000 + step,
    timeSampleS: 1.5, timeTrainS: 0.7, timeWireS: 0.05, digest: "d",
  }));
  writeFileSync(join(run, "metrics.jsonl"), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return run;
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  const sim = recordRun(dir, "sim");
  simSteps = readFileSync(join(sim.runDir, "metrics.jsonl"), "utf8").trim().split("\n").length;
  const io = { out: () => {}, err: (l: string) => console.error(l) };
  expect(await reportCommand.main([sim.runDir, modelRun(), "--out", out], io)).toBe(0);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = watchErrors(page);
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`file://${out}`);
  await page.waitForSelector("body[data-ready='1']", { timeout: 10_000 });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The little of the canvas API the pixel count needs (the project's TS config has no DOM lib). */
interface Canvas {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

/** Pixels of the chart's canvas close to an RGB colour: proof that a series was actually drawn. */
async function pixelsOf(chartId: string, [r, g, b]: [number, number, number]): Promise<number> {
  return page.locator(`#chart-${chartId} canvas`).evaluate(
    (el, [r, g, b]) => {
      const canvas = el as unknown as Canvas;
      const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i]! - r) < 40 && Math.abs(px[i + 1]! - g) < 40 && Math.abs(px[i + 2]! - b) < 40 && px[i + 3]! > 200) n++;
      return n;
    },
    [r, g, b] as const,
  );
}

const BLUE: [number, number, number] = [0x2f, 0x6f, 0xde];
const ORANGE: [number, number, number] = [0xe8, 0x59, 0x0c];

test.skipIf(!HAVE_CHROMIUM)("every recorded chart is drawn on a canvas, and nothing but the file itself is loaded", async () => {
  expect(errors).toEqual([]);
  expect(requests.every((u) => u.startsWith("file://") || u.startsWith("data:"))).toBe(true);
  const cards = await page.$$eval("[data-chart-id]", (els) => els.map((e) => ({ id: e.getAttribute("data-chart-id"), recorded: e.getAttribute("data-recorded"), canvases: e.querySelectorAll("canvas").length })));
  const drawn = cards.filter((c) => c.recorded === "yes");
  expect(drawn.length).toBeGreaterThanOrEqual(14);
  expect(drawn.every((c) => c.canvases === 1)).toBe(true);
  expect(Number(await page.getAttribute("body", "data-charts"))).toBe(drawn.length);
  await screenshot(page, "report-full");
});

test.skipIf(!HAVE_CHROMIUM)("two runs are overlaid with a legend entry each, and both lines are on the canvas", async () => {
  const card = page.locator("#chart-gen-reward");
  expect(await card.getAttribute("data-series")).toBe("2");
  expect(Number(await card.getAttribute("data-points"))).toBe(simSteps + 6);
  const legend = await card.locator(".u-legend .u-series .u-label").allTextContents();
  expect(legend).toEqual(["step", "sim", "model"]);
  expect(await pixelsOf("gen-reward", BLUE)).toBeGreaterThan(30);
  expect(await pixelsOf("gen-reward", ORANGE)).toBeGreaterThan(30);
  await screenshot(page, "report-gen-reward", "#chart-gen-reward");
});

test.skipIf(!HAVE_CHROMIUM)("metrics no run recorded say 'not recorded', and partly recorded ones name the run without them", async () => {
  const kl = page.locator("#chart-kl");
  expect(await kl.getAttribute("data-recorded")).toBe("no");
  expect(await kl.locator("canvas").count()).toBe(0);
  expect(await kl.textContent()).toContain("not recorded");
  // The simulator records entropies now, but no learning rate.
  const lr = page.locator("#chart-lr");
  expect(await lr.getAttribute("data-series")).toBe("1");
  expect(await lr.locator(".note").textContent()).toBe("not recorded in: sim");
  // The step-time breakdown: one series per time…S field, one colour each.
  const time = page.locator("#chart-step-time");
  expect(await time.locator(".u-legend .u-series .u-label").allTextContents()).toEqual(["step", "model · timeSampleS", "model · timeTrainS", "model · timeWireS"]);
  expect(await pixelsOf("step-time", BLUE)).toBeGreaterThan(30);
  await screenshot(page, "report-step-time", "#chart-step-time");
});
