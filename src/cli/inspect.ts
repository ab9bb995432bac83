// `bun run inspect RUN|LOG`: serve the episode inspector on localhost (default), or, with --list,
// check an episode log end to end and list its records in the terminal.

import * as fs from "node:fs";
import * as path from "node:path";
import { encodeValue } from "../protocol/codec.ts";
import { describeStepProblems, iterateEpisodeLog, readEpisodeLog, repairTornTail, stepCoverage, StepCoverageCheck, type LogRecord, type StepCoverage } from "../protocol/log.ts";
import { ACTOR_IDS } from "../protocol/messages.ts";
import { STAGE_RANK } from "../protocol/message-table.ts";
import { defaultDivergencePath, readDivergenceFile, type DivergenceFile } from "../inspector/divergence.ts";
import { loadEpisodeIndex } from "../inspector/episodes.ts";
import { openRunOrLog } from "../inspector/open.ts";
import { startInspector } from "../inspector/server.ts";
import { parseMetrics } from "../report/metrics.ts";
import { defineCommand, InputError, type ParsedArgs } from "./args.ts";

export const DEFAULT_INSPECT_PORT = 8737;
const DEFAULT_LIMIT = 50;
/** Flags that only mean something for the terminal listing; giving one selects it. */
const LISTING_FLAGS = ["step", "type", "actor", "limit", "show"] as const;

export const inspectCommand = defineCommand(
  {
    name: "inspect",
    summary:
      "Serve the episode inspector for a run or episode log on localhost; with --list, verify every checksum and list the records in the terminal.",
    usage: "bun run inspect [flags] <RUN|LOG>",
    positionals: [{ name: "RUN|LOG", help: "a run folder (runs/<name>, or just <name>) recorded with --record, or an episode log", required: true }],
    flags: [
      { name: "port", type: "int", min: 0, max: 65535, default: DEFAULT_INSPECT_PORT, help: "inspector port (0: any free port)" },
      { name: "host", type: "string", default: "127.0.0.1", help: "address to bind; the default keeps the log on this machine" },
      { name: "divergence", type: "path", help: "divergence file to open (default: <log>.divergence.json when replay --verify wrote one)" },
      { name: "runs-dir", type: "path", default: "runs", help: "folder that holds run folders (for RUN given as a name)" },
      { name: "serve", type: "boolean", default: true, help: "serve the inspector; --no-serve lists in the terminal instead (same as --list)" },
      { name: "list", type: "boolean", default: false, help: "terminal listing instead of the inspector; implied by --step/--type/--actor/--limit/--show/--repair-torn-tail" },
      { name: "step", type: "int", min: 0, help: "list: only records of this step" },
      { name: "type", type: "enum", values: Object.keys(STAGE_RANK), help: "list: only records of this message type" },
      { name: "actor", type: "enum", values: ACTOR_IDS, help: "list: only records sent or received by this actor" },
      { name: "limit", type: "int", min: 0, help: `list: at most this many records (0: only the summary; default ${DEFAULT_LIMIT})` },
      { name: "show", type: "int", min: 1, help: "list: print the full message of the record with this sequence number" },
      { name: "repair-torn-tail", type: "boolean", default: false, help: "cut an incomplete final record left by a crash (never touches anything else), then list" },
    ],
    examples: [
      "bun run inspect runs/demo                          # open http://127.0.0.1:8737/",
      "bun run inspect runs/demo/episodes.spzlog --port 0 # any free port",
      "bun run inspect runs/sim.spzlog --list --step 3 --type scored",
      "bun run inspect runs/sim.spzlog --show 42",
    ],
  },
  async (args) => {
    const opened = openRunOrLog(args.positionals[0]!, args.flags["runs-dir"] as string);
    const listing =
      args.flags.list === true || args.flags.serve === false || args.flags["repair-torn-tail"] === true || LISTING_FLAGS.some((f) => args.flags[f] !== undefined);
    return listing ? list(args, opened.log, opened.runDir) : serve(args, opened.log, opened.runDir);
  },
);

/**
 * Steps are the unit a run writes: the log gets a step's records together at its end, metrics.jsonl
 * one row per step. Checksums prove each record intact, not that every step is there once; this
 * names the steps that are missing or written twice, in the log and in the run's metrics.jsonl.
 * A run folder whose metrics.jsonl is missing or unreadable is a problem too.
 */
function stepProblems(file: string, coverage: StepCoverage, runDir: string | undefined): string[] {
  const problems: string[] = [];
  const inLog = describeStepProblems(coverage);
  if (inLog) problems.push(`episode log ${file}: ${inLog}`);
  if (runDir) {
    const metricsPath = path.join(runDir, "metrics.jsonl");
    let text: string | null = null;
    try {
      text = fs.readFileSync(metricsPath, "utf8");
    } catch (e) {
      problems.push(`run ${runDir} has no readable metrics.jsonl (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (text !== null) {
      try {
        const inMetrics = describeStepProblems(stepCoverage(parseMetrics(text, metricsPath).rows.map((r) => ({ step: r.step }))));
        if (inMetrics) problems.push(`${metricsPath}: ${inMetrics}`);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
  return problems;
}

const STEP_RULE = "accepted: every step from 0 on, each written once (a resumed run continues the same log and metrics)";

async function list(args: ParsedArgs, file: string, runDir?: string): Promise<number> {
  const say = (s: string) => console.log(s);
  if (args.flags["repair-torn-tail"]) {
    const cut = repairTornTail(file);
    say(cut ? `cut ${cut.bytes} trailing bytes at byte ${cut.offset} (after record ${cut.afterSeq})` : `${file} has no torn tail`);
  }
  const log = readEpisodeLog(file);
  const f = args.flags;
  const keep = (r: LogRecord) =>
    (f.step === undefined || r.step === f.step) &&
    (f.type === undefined || r.type === f.type) &&
    (f.actor === undefined || r.from === f.actor || r.to === f.actor);
  const selected = log.records.filter(keep);
  const coverage = stepCoverage(log.records);
  const problems = stepProblems(file, coverage, runDir);
  const once = problems.length || coverage.last < 0 ? "" : `, steps ${coverage.from}-${coverage.last} each once`;
  say(`${file}: ${log.records.length} records, ${coverage.steps} steps, ${log.bytes} bytes, every checksum valid${once}; written by '${log.header.command}'`);
  if (f.show !== undefined) {
    const r = log.records.find((x) => x.seq === f.show);
    if (!r) throw Object.assign(new Error(`no record with sequence number ${f.show} in ${file} (1..${log.records.length})`), { exitCode: 2 });
    say(JSON.stringify(r, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v), 2));
  }
  const limit = (f.limit as number | undefined) ?? DEFAULT_LIMIT;
  if (limit > 0) {
    say(`${"seq".padStart(7)}  ${"step".padStart(5)}  ${"from".padEnd(9)}  ${"to".padEnd(9)}  ${"type".padEnd(15)}  ${"bytes".padStart(7)}  id`);
    for (const r of selected.slice(0, limit)) {
      say(`${String(r.seq).padStart(7)}  ${String(r.step).padStart(5)}  ${r.from.padEnd(9)}  ${r.to.padEnd(9)}  ${r.type.padEnd(15)}  ${String(encodeValue(r.msg).length).padStart(7)}  ${r.id}`);
    }
    if (selected.length > limit) say(`... ${selected.length - limit} more (raise --limit)`);
  }
  // A log with a gap or a repeat is listed (that is how one looks into it), then refused: exit 2.
  if (problems.length) throw new InputError(`${problems.join("; ")}; ${STEP_RULE}`);
  if (args.json) say(JSON.stringify({ log: file, records: log.records.length, selected: selected.length, steps: coverage.steps, bytes: log.bytes, ok: true }));
  return 0;
}

async function serve(args: ParsedArgs, file: string, runDir: string | undefined): Promise<number> {
  const say = (s: string) => console.log(s);
  // Verifies every checksum first: a torn or corrupt log is reported (exit 2), never served.
  const index = loadEpisodeIndex(file);
  // A missing or repeated step is served (looking at it is how one finds out why), with a warning.
  const check = new StepCoverageCheck();
  for (const r of iterateEpisodeLog(file)) check.add(r.step, r.id);
  const problems = stepProblems(file, check.result(), runDir);
  for (const p of problems) console.error(`warning: ${p}; ${STEP_RULE}`);
  let divergence: { path: string; data: DivergenceFile } | null = null;
  const asked = args.flags.divergence as string | undefined;
  if (asked !== undefined) divergence = { path: asked, data: readDivergenceFile(asked) };
  else if (fs.existsSync(defaultDivergencePath(file))) {
    try {
      divergence = { path: defaultDivergencePath(file), data: readDivergenceFile(defaultDivergencePath(file)) };
    } catch (e) {
      say(`warning: ignoring ${defaultDivergencePath(file)}: ${(e as Error).message}`);
    }
  }
  const host = args.flags.host as string;
  const port = args.flags.port as number;
  let inspector: ReturnType<typeof startInspector>;
  try {
    inspector = startInspector({ index, logPath: file, ...(runDir ? { runDir } : {}), divergence, host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw Object.assign(new Error(`port ${port} on ${host} is in use; pass --port N (0 picks a free port)`), { exitCode: 2 });
    throw Object.assign(new Error(`cannot serve on ${host}:${port}: ${(e as Error).message}`), { exitCode: 2 });
  }
  say(`inspector: ${inspector.url}`);
  say(`${file}: ${index.episodes.length} episodes over ${index.steps.length} steps (${index.records} records, every checksum valid)${divergence ? `; divergence: ${divergence.path}` : ""}`);
  if (index.warnings.length) say(`warning: ${index.warnings.length} join problem(s), first: ${index.warnings[0]}`);
  say("press Ctrl-C to stop");
  if (args.json) say(JSON.stringify({ url: inspector.url, log: file, episodes: index.episodes.length, steps: index.steps.length, stepProblems: problems, ok: true }));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await inspector.stop();
  return 0;
}
