// The episode inspector in a real browser (headless Debian Chromium): step to an episode and check
// that what is shown is what the log holds, read here straight from the raw records.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { readDivergenceFile } from "../../src/inspector/divergence.ts";
import { extractEpisodes, loadEpisodeIndex, type RawLogRecord } from "../../src/inspector/episodes.ts";
import { startInspector, type Inspector } from "../../src/inspector/server.ts";
import { readEpisodeLog, type EpisodeLog } from "../../src/protocol/log.ts";
import type { Predictions, SampleRequest, Scored } from "../../src/protocol/messages.ts";
import type { Answers, Masks } from "../../src/tasks/pretrainzero/messages.ts";
import { groupAdvantages } from "../../src/rl/advantages.ts";
import { HAVE_CHROMIUM, launchChromium, screenshot, watchErrors } from "./browser.ts";
import { cli, recordRun, type RecordedRun } from "./fixture.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-inspector-browser-"));
let run: RecordedRun;
let log: EpisodeLog;
let inspector: Inspector;
let browser: Browser | undefined;
let page: Page;
let errors: string[] = [];

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  run = recordRun(dir, "insp");
  log = readEpisodeLog(run.log);
  // A what-if replay that diverges, so that the inspector has a divergence file to open.
  expect(cli(dir, "replay", run.log, "--actor", "reward", "--design", "plain", "--verify").code).toBe(1);
  const divPath = `${run.log}.divergence.json`;
  inspector = startInspector({ index: loadEpisodeIndex(run.log), logPath: run.log, divergence: { path: divPath, data: readDivergenceFile(divPath) }, port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  errors = watchErrors(page);
  await page.goto(inspector.url);
  await page.waitForSelector("body[data-ready='1']", { timeout: 10_000 });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await inspector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** What the log says about one episode, from the raw messages (independent of the extractor). */
function truth(step: number, maskId: string) {
  const of = <T>(type: string) => log.records.filter((r) => r.step === step && r.type === type).map((r) => r.msg as T);
  const passageKey = maskId.replace(/\/g\d+$/, "");
  const index = Number(/\/g(\d+)$/.exec(maskId)![1]);
  const prompt = of<SampleRequest>("sample.request").flatMap((m) => m.prompts).find((p) => p.key === passageKey)!.text;
  const passage = prompt.slice(prompt.indexOf("<<<\n") + 4, prompt.lastIndexOf("\n>>>"));
  const span = of<Answers>("answers").flatMap((m) => m.answers).find((a) => a.maskId === maskId)!.span!;
  const masked = of<Masks>("masks").flatMap((m) => m.masks).find((m) => m.maskId === maskId)!.masked;
  const completions = of<Predictions>("predictions").flatMap((m) => m.groups).find((g) => g.maskId === maskId)!.completions;
  const groups = of<Scored>("scored").flatMap((m) => m.groups);
  const predRewards = groups.find((g) => g.role === "predictor" && g.key === maskId)!.rewards;
  const genRewards = groups.find((g) => g.role === "generator" && g.key === passageKey)!.rewards;
  return { passage, span, masked, completions, predRewards, genRewards, index };
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(3));

test.skipIf(!HAVE_CHROMIUM)("stepping to an episode shows its passage, span, masked passage, predictions, rewards and advantages as logged", async () => {
  await page.selectOption("#f-step", "1");
  await page.waitForFunction(`document.querySelector("#episode-list li")?.getAttribute("data-step") === "1"`);
  await page.click("#next");
  await page.click("#next");
  await page.keyboard.press("ArrowRight"); // the keyboard steps too
  await page.waitForFunction(`document.querySelector("#position")?.textContent === "4 / 16"`);
  const id = (await page.getAttribute("#detail", "data-episode-id"))!;
  expect(await page.getAttribute("#detail", "data-step")).toBe("1");
  const t = truth(1, id);

  expect(await page.textContent("#ep-passage")).toBe(t.passage);
  const marks = await page.locator("#ep-passage mark.span").allTextContents();
  expect(marks.length).toBe(t.masked.split("[mask]").length - 1);
  expect(marks.every((m) => m === t.span)).toBe(true);
  expect(await page.textContent("#ep-masked")).toBe(t.masked);
  expect(await page.locator("#ep-masked .masktok").count()).toBe(marks.length);

  const rows = page.locator("#ep-predictions tbody tr");
  expect(await rows.count()).toBe(t.completions.length);
  const predAdv = groupAdvantages(t.predRewards);
  for (let i = 0; i < t.completions.length; i++) {
    const cells = await rows.nth(i).locator("td").allTextContents();
    expect(t.completions[i]).toContain(`\\boxed{${cells[1]}}`);
    expect(cells[2]).toBe(fmt(t.predRewards[i]!));
    expect(cells[3]).toBe(fmt(predAdv[i]!));
    expect(Number(await rows.nth(i).getAttribute("data-advantage"))).toBe(predAdv[i]!);
  }
  // The generator group: this rollout highlighted, with its reward and advantage.
  const genAdv = groupAdvantages(t.genRewards);
  const current = page.locator("#gen-group tbody tr.current");
  expect(await current.getAttribute("data-id")).toBe(id);
  const cur = await current.locator("td").allTextContents();
  expect(cur[1]).toBe(`“${t.span}”`);
  expect(cur[2]).toBe(fmt(t.genRewards[t.index]!));
  expect(cur[3]).toBe(fmt(genAdv[t.index]!));
  expect(await page.textContent("#ep-meta [data-key='generator advantage'] dd")).toBe(fmt(genAdv[t.index]!));
  expect(errors).toEqual([]);
  await screenshot(page, "inspector-episode");
});

test.skipIf(!HAVE_CHROMIUM)("filtering by role and reward lists exactly the episodes the log says match", async () => {
  await page.click("#f-clear");
  await page.selectOption("#f-role", "predictor");
  await page.fill("#f-min", "1");
  await page.dispatchEvent("#f-min", "change");
  const scored = log.records.filter((r) => r.type === "scored").flatMap((r) => (r.msg as Scored).groups);
  const want = scored.filter((g) => g.role === "predictor" && g.rewards.some((x) => x >= 1)).length;
  await page.waitForFunction(`document.querySelector("#list-count")?.textContent?.startsWith("${want} episode")`);
  expect(await page.locator("#episode-list li").count()).toBe(want);
  // Generator role, reward range [0.5, 1]: only rollouts the reward actor scored that high.
  await page.selectOption("#f-role", "generator");
  await page.fill("#f-min", "0.5");
  await page.dispatchEvent("#f-min", "change");
  const gen = scored.filter((g) => g.role === "generator").flatMap((g) => g.rewards).filter((x) => x >= 0.5).length;
  await page.waitForFunction(`document.querySelector("#list-count")?.textContent?.startsWith("${gen} episode")`);
  await page.click("#f-clear");
});

test.skipIf(!HAVE_CHROMIUM)("the first divergence from replay --verify opens, with its diff, and leads to its episodes", async () => {
  const d = readDivergenceFile(`${run.log}.divergence.json`).divergence;
  await page.click("#tab-divergence");
  expect(await page.isVisible("#view-divergence")).toBe(true);
  expect(await page.textContent("#divergence-meta [data-key='step'] dd")).toBe(String(d.step));
  expect(await page.locator("#divergence-diff tbody tr").count()).toBe(d.diff.length);
  expect(await page.locator("#divergence-diff tbody tr").first().locator("td").allTextContents()).toEqual([d.diff[0]!.path, d.diff[0]!.recorded, d.diff[0]!.replayed]);
  await page.click("#divergence-record");
  await page.waitForFunction(`document.querySelector("#divergence-record-body")?.textContent?.includes('"seq"')`);
  expect(JSON.parse((await page.textContent("#divergence-record-body"))!).seq).toBe(d.recordedSeq);
  await screenshot(page, "inspector-divergence");
  await page.click("#divergence-episodes");
  const passage = d.id.split("|").slice(3).join("|");
  await page.waitForFunction(`document.querySelector("#f-passage")?.textContent === ${JSON.stringify(passage)}`);
  expect(await page.isVisible("#view-episodes")).toBe(true);
  const ids = await page.locator("#episode-list li").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
  expect(ids.length).toBe(4);
  expect(ids.every((x) => x!.startsWith(`${passage}/g`))).toBe(true);
});

test.skipIf(!HAVE_CHROMIUM)("the Absolute Zero slot is marked, and renders program, input, output and verdict when such messages appear", async () => {
  await page.click("#tab-az");
  expect(await page.isVisible("#az-empty")).toBe(true);
  const az: RawLogRecord = {
    seq: 1, step: 0, from: "reward", to: "learner", type: "az.verdict", id: "az1",
    msg: { type: "az.verdict", program: "def f(x):\n    return x * 2", input: 21, output: 42, verdict: "pass" },
  };
  const x = extractEpisodes({ format: 1, protocol: 1, command: "test", config: {} }, [az]);
  const other = startInspector({ index: { ...x, bytes: 0 }, logPath: run.log, port: 0 });
  try {
    const p2 = await browser!.newPage();
    await p2.goto(`${other.url}`);
    await p2.waitForSelector("body[data-ready='1']");
    await p2.click("#tab-az");
    const card = p2.locator(".az-card");
    expect(await card.count()).toBe(1);
    expect(await card.locator(".az-program").textContent()).toBe("def f(x):\n    return x * 2");
    expect(await card.locator(".az-input").textContent()).toBe("21");
    expect(await card.locator(".az-output").textContent()).toBe("42");
    expect(await card.locator(".az-verdict").textContent()).toBe("pass");
    await screenshot(p2, "inspector-absolute-zero");
    await p2.close();
  } finally {
    await other.stop();
  }
});
