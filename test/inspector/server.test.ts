// The inspector's JSON API and the `inspect` command's serve mode, without a browser.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDivergenceFile } from "../../src/inspector/divergence.ts";
import { loadEpisodeIndex } from "../../src/inspector/episodes.ts";
import { inspectorPage } from "../../src/inspector/page.ts";
import { startInspector, type Inspector } from "../../src/inspector/server.ts";
import { cli, recordRun, type RecordedRun } from "./fixture.ts";
import { readUntil } from "../helpers/streams.ts";

// Worker start-up and ORT session builds take seconds on 2 shared cores.
setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "spz-inspector-"));
let run: RecordedRun;
let inspector: Inspector;
beforeAll(() => {
  run = recordRun(dir, "srv");
  inspector = startInspector({ index: loadEpisodeIndex(run.log), logPath: run.log, port: 0 });
}, 60_000);
afterAll(async () => {
  await inspector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const r = await fetch(new URL(path, inspector.url));
  return { status: r.status, body: (await r.json()) as Record<string, unknown> & unknown[] };
};

test("the server binds 127.0.0.1 and lists steps and filtered episodes", async () => {
  expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const steps = await get("/api/steps");
  expect((steps.body as unknown as { step: number }[]).map((s) => s.step)).toEqual([0, 1, 2]);
  const all = await get("/api/episodes");
  expect(all.body.total).toBe(48);
  const hi = await get("/api/episodes?step=1&role=generator&min=0.25");
  const eps = hi.body.episodes as { step: number; genReward: number }[];
  expect(eps.length).toBe(hi.body.total as number);
  expect(eps.every((e) => e.step === 1 && e.genReward >= 0.25)).toBe(true);
  const page = await get("/api/episodes?limit=5&offset=10");
  expect((page.body.episodes as unknown[]).length).toBe(5);
});

test("one episode comes with its generator group; unknown ids are 404 and bad filters 400", async () => {
  const first = ((await get("/api/episodes?step=2&limit=1")).body.episodes as { id: string }[])[0]!;
  const one = await get(`/api/episode?id=${encodeURIComponent(first.id)}&step=2`);
  expect(one.status).toBe(200);
  expect((one.body as unknown as { episode: { id: string } }).episode.id).toBe(first.id);
  expect((one.body as unknown as { siblings: unknown[] }).siblings).toHaveLength(4);
  expect((await get("/api/episode?id=nope")).status).toBe(404);
  expect((await get("/api/episodes?role=critic")).status).toBe(400);
  expect((await get("/api/episodes?step=-1")).status).toBe(400);
  expect((await get("/api/divergence")).status).toBe(404);
  expect((await get("/api/record?seq=3")).body.seq).toBe(3);
});

test("the page is one self-contained document: no external scripts, styles or fetches elsewhere", () => {
  const html = inspectorPage();
  expect(/<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=/i.test(html)).toBe(false);
  expect(/https?:\/\//.test(html)).toBe(false);
  expect(html.includes("/*__JS__*/")).toBe(false);
  expect(html.includes('fetch(path)')).toBe(true);
});

test("replay --verify writes the first divergence next to the log, in a form the inspector reads", () => {
  const r = cli(dir, "replay", run.log, "--actor", "reward", "--design", "plain", "--verify");
  expect(r.code).toBe(1);
  const file = `${run.log}.divergence.json`;
  expect(r.out).toContain(`divergence written to ${file}`);
  const d = readDivergenceFile(file);
  expect(d.actor).toBe("reward");
  expect(d.design).toBe("plain");
  expect(d.recordedDesign).toBe("minmax");
  expect(d.divergence.type).toBe("scored");
  expect(d.divergence.diff.length).toBeGreaterThan(0);
  // --divergence-out names another file; a passing replay writes none.
  const other = join(dir, "sub", "first.json");
  expect(cli(dir, "replay", run.log, "--actor", "reward", "--design", "plain", "--verify", "--divergence-out", other).code).toBe(1);
  expect(readDivergenceFile(other).divergence).toEqual(d.divergence);
  const none = join(dir, "none.json");
  expect(cli(dir, "replay", run.log, "--verify", "--divergence-out", none).code).toBe(0);
  expect(existsSync(none)).toBe(false);
});

test("inspect RUN serves by default, prints the URL, and stops on SIGINT", async () => {
  const p = Bun.spawn(["bun", join(import.meta.dir, "../../src/cli/main.ts"), "inspect", run.runDir, "--port", "0", "--json"], { stdout: "pipe", stderr: "pipe" });
  try {
    const text = await readUntil(p.stdout, '"url"');
    const url = /inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
    expect(url).toBeDefined();
    const summary = (await (await fetch(`${url}api/summary`)).json()) as { episodes: number; runDir: string };
    expect(summary.episodes).toBe(48);
    expect(summary.runDir).toBe(run.runDir);
    p.kill("SIGINT");
    expect(await p.exited).toBe(0);
  } finally {
    if (p.exitCode === null) p.kill();
  }
});

test("inspect refuses a torn log before serving (exit 2, one line) and a run recorded without a log", () => {
  const torn = join(dir, "torn.spzlog");
  writeFileSync(torn, readFileSync(run.log));
  truncateSync(torn, statSync(torn).size - 9);
  const r = cli(dir, "inspect", torn, "--port", "0");
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^error: torn tail at byte \d+ after record \d+/);
  expect(r.err.trim().split("\n")).toHaveLength(1);

  const plain = join(dir, "norecord");
  expect(Bun.spawnSync(["bun", join(import.meta.dir, "../../src/cli/main.ts"), "simulate", "--steps", "1", "--passages", "2", "--transport", "inproc", "--runs-dir", dir, "--run", "norecord"]).exitCode).toBe(0);
  const n = cli(dir, "inspect", plain);
  expect(n.code).toBe(2);
  expect(n.err).toContain("has no episode log (it was run without --record)");
});

test("--list keeps the terminal listing", () => {
  const r = cli(dir, "inspect", run.runDir, "--list", "--limit", "3");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/\d+ records, \d+ steps, \d+ bytes, every checksum valid/);
  expect(r.out.trim().split("\n")).toHaveLength(1 + 1 + 3 + 1);
});
