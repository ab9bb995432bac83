// Bad input, as a user gives it, to every command: each row is refused with exit code 2 and one
// line `error: ...` naming what is wrong, with no stack trace or source code, and nothing is
// written: the runs folder (and the whole working folder) is the same before and after.
//
// The bad files are made here, in a temporary working folder: corpora (missing, empty, binary,
// UTF-16, an empty folder, ...), model folders (copies of fixtures/tiny-llama with one thing
// broken), run folders, episode logs (with a step missing or written twice) and programs.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { EpisodeLogWriter } from "../../src/protocol/log.ts";
import { messageId } from "../../src/protocol/messages.ts";
import { sampleMessages } from "../protocol/sample-messages.ts";

setDefaultTimeout(120_000);

const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
const FIXTURES = join(import.meta.dir, "../../fixtures");
const dir = mkdtempSync(join(tmpdir(), "spz-bad-input-"));
const runs = join(dir, "runs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (...p: string[]) => join(dir, ...p);
const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** A copy of fixtures/tiny-llama with `edit` applied to it. */
function model(name: string, edit: (d: string) => void): string {
  const d = at("models", name);
  cpSync(join(FIXTURES, "tiny-llama"), d, { recursive: true });
  edit(d);
  return d;
}
const editConfig = (d: string, change: (c: Record<string, unknown>) => unknown) => {
  const c = JSON.parse(readFileSync(join(d, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(d, "config.json"), json(change(c) ?? c));
};

/** An episode log of `steps` (each step: one policy.version record per listed id). */
function log(name: string, steps: { step: number; keys: string[] }[]): string {
  const file = at(name);
  const w = EpisodeLogWriter.create(file, { command: "simulate", config: { seed: 1 } });
  for (const { step, keys } of steps) {
    const msg = { ...sampleMessages(step)["policy.version"], step };
    w.append(keys.map((k) => ({ step, from: "learner" as const, to: "generator" as const, id: messageId(step, "learner", "policy.version", k), msg })));
  }
  w.close();
  return file;
}

/** A run folder: config.json (as text) and metrics rows for the given steps (omit for none). */
function runFolder(name: string, config: string, steps?: number[]): string {
  const d = join(runs, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "config.json"), config);
  if (steps) writeFileSync(join(d, "metrics.jsonl"), steps.map((s) => `${JSON.stringify({ step: s, genReward: 0.5, predAcc: 0.25 })}\n`).join(""));
  return d;
}

beforeAll(() => {
  // Corpora.
  writeFileSync(at("empty.txt"), "");
  writeFileSync(at("blank.txt"), " \n\n\t\n");
  writeFileSync(at("binary.txt"), new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
  const utf16 = "The river runs through the old town and past the mill.\n";
  writeFileSync(at("utf16.txt"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf16, "utf16le")]));
  writeFileSync(at("short.txt"), "Too short to be a passage.\n");
  writeFileSync(at("broken.jsonl"), "{not json\n{also not\n");
  writeFileSync(at("notext.jsonl"), `${JSON.stringify({ body: "a document under another key" })}\n`);
  mkdirSync(at("emptydir"));
  mkdirSync(at("nontext-dir"));
  writeFileSync(at("nontext-dir", "data.csv"), "a,b\n1,2\n");
  writeFileSync(at("afile"), "not a folder\n");

  // Model folders: tiny-llama with one thing broken.
  model("config-not-json", (d) => writeFileSync(join(d, "config.json"), "{ model_type: llama"));
  model("config-array", (d) => writeFileSync(join(d, "config.json"), "[1, 2]"));
  model("gpt2", (d) => editConfig(d, (c) => ({ ...c, model_type: "gpt2" })));
  model("yarn", (d) => editConfig(d, (c) => ({ ...c, rope_scaling: { rope_type: "yarn", factor: 4 } })));
  model("quantized", (d) => editConfig(d, (c) => ({ ...c, quantization_config: { bits: 4 } })));
  model("wrong-shape", (d) => editConfig(d, (c) => ({ ...c, intermediate_size: 96 })));
  model("missing-tensor", (d) => editConfig(d, (c) => ({ ...c, num_hidden_layers: 3 })));
  model("small-vocab", (d) => editConfig(d, (c) => ({ ...c, vocab_size: 100, bos_token_id: null, eos_token_id: null, pad_token_id: null })));
  model("truncated", (d) => truncateSync(join(d, "model.safetensors"), statSync(join(d, "model.safetensors")).size - 1000));
  model("header-garbage", (d) => writeFileSync(join(d, "model.safetensors"), new Uint8Array(64).fill(0xff)));
  model("no-weights", (d) => rmSync(join(d, "model.safetensors")));
  model("no-tokenizer", (d) => rmSync(join(d, "tokenizer.json")));
  model("tokenizer-not-json", (d) => writeFileSync(join(d, "tokenizer.json"), "{ truncated"));

  // Run folders and episode logs.
  runFolder("no-metrics", json({ command: "simulate", config: { seed: 1 } }));
  runFolder("config-not-json", "{ this is not json", [0, 1]);
  runFolder("bad-metrics", json({ command: "simulate", config: { seed: 1 } }));
  writeFileSync(join(runs, "bad-metrics", "metrics.jsonl"), '{"step":0}\nnot json\n{"step":2}\n');
  runFolder("metrics-gap", json({ command: "simulate", config: { seed: 1 } }), [0, 1, 3, 4]);
  const full = [0, 1, 2, 3].map((step) => ({ step, keys: ["a", "b"] }));
  log("good.spzlog", full);
  log("gap.spzlog", full.filter((s) => s.step !== 2));
  log("dup.spzlog", [full[0]!, full[1]!, full[1]!, full[2]!, full[3]!]);
  runFolder("log-gap", json({ command: "simulate", record: at("gap.spzlog"), config: { seed: 1 } }), [0, 1, 2]);
  runFolder("metrics-dup", json({ command: "simulate", record: at("good.spzlog"), config: { seed: 1 } }), [0, 1, 1, 2, 3]);
  writeFileSync(at("empty.spzlog"), "");
  writeFileSync(at("not-a-log.spzlog"), "SPZ? this is text, not an episode log\n");

  writeFileSync(at("prog.py"), "def f(x):\n    return x\n");
  writeFileSync(at("bad-config.json"), "{ steps: 3 ");
  mkdirSync(at("nonempty-out"));
  writeFileSync(at("nonempty-out", "keep.txt"), "mine\n");
});

interface Row {
  /** Command line after `bun src/cli/main.ts`. */
  args: string[];
  /** What the one error line must say. */
  error: RegExp;
  code?: number;
}

const R = ["--runs-dir", "runs"];
const SIM = ["simulate", "--steps", "1", "--transport", "inproc", ...R];
const TRAIN = ["train", "--steps", "1", "--transport", "inproc", ...R];
const M = (name: string) => join("models", name);

const rows: Row[] = [
  // simulate / train: the corpus
  { args: [...SIM, "--corpus", "missing.txt"], error: /no such file or directory: missing\.txt; accepted: \.txt/ },
  { args: [...SIM, "--corpus", "empty.txt"], error: /empty\.txt is empty \(0 bytes\)/ },
  { args: [...SIM, "--corpus", "blank.txt"], error: /blank\.txt holds no text \(only whitespace\)/ },
  { args: [...SIM, "--corpus", "binary.txt"], error: /binary\.txt looks binary .*accepted: UTF-8 text/ },
  { args: [...SIM, "--corpus", "utf16.txt"], error: /unsupported encoding UTF-16LE .* in utf16\.txt; accepted: UTF-8/ },
  { args: [...SIM, "--corpus", "emptydir"], error: /emptydir holds no \.txt, \.text or \.md files/ },
  { args: [...SIM, "--corpus", "nontext-dir"], error: /nontext-dir holds no \.txt/ },
  { args: [...SIM, "--corpus", "short.txt"], error: /--corpus short\.txt: no passages of 40-160 words: 1 documents.*lower --min-words/ },
  { args: [...SIM, "--corpus", "broken.jsonl"], error: /no documents in broken\.jsonl: 2 lines, all skipped \(2 malformed JSON lines\)/ },
  { args: [...SIM, "--corpus", "notext.jsonl"], error: /no line of notext\.jsonl has a string field "text".*--text-field/ },
  { args: [...SIM, "--corpus", join(FIXTURES, "corpus", "no-articles.xml")], error: /no articles in .*no-articles\.xml/ },
  { args: [...TRAIN, "--corpus", "empty.txt"], error: /empty\.txt is empty/ },
  { args: [...TRAIN, "--corpus", "utf16.txt"], error: /UTF-16LE/ },
  { args: [...TRAIN, "--corpus", "short.txt"], error: /no passages of 20-60 words/ },
  { args: [...TRAIN, "--backend", "sim", "--corpus", "binary.txt"], error: /looks binary/ },
  // train: the model folder
  { args: [...TRAIN, "--model", "nowhere"], error: /--model nowhere: no such folder; accepted: a Hugging Face/ },
  { args: [...TRAIN, "--model", "afile"], error: /--model afile is a file, not a model folder/ },
  { args: [...TRAIN, "--model", "emptydir"], error: /--model emptydir is not a model folder \(no config\.json\)/ },
  { args: [...TRAIN, "--model", M("config-not-json")], error: /config-not-json\/config\.json: not valid JSON .*accepted/ },
  { args: [...TRAIN, "--model", M("config-array")], error: /config-array\/config\.json: expected a JSON object/ },
  { args: [...TRAIN, "--model", M("gpt2")], error: /gpt2\/config\.json: model_type is "gpt2"; accepted: "llama"/ },
  { args: [...TRAIN, "--model", M("yarn")], error: /yarn\/config\.json: rope_scaling is .*accepted/ },
  { args: [...TRAIN, "--model", M("quantized")], error: /quantization_config is .*not supported/ },
  { args: [...TRAIN, "--model", M("wrong-shape")], error: /wrong-shape\/model\.safetensors: tensor model\.layers\.0\.mlp\.down_proj\.weight has shape \[64,128\]; expected \[64,96\]/ },
  { args: [...TRAIN, "--model", M("missing-tensor")], error: /missing-tensor\/model\.safetensors: missing tensor model\.layers\.2\./ },
  { args: [...TRAIN, "--model", M("small-vocab")], error: /small-vocab\/tokenizer\.json: \d+ tokens, more than vocab_size 100/ },
  { args: [...TRAIN, "--model", M("truncated")], error: /truncated\/model\.safetensors: .*(truncated|past the end)/ },
  { args: [...TRAIN, "--model", M("header-garbage")], error: /header-garbage\/model\.safetensors: header length \d+ is absurd/ },
  { args: [...TRAIN, "--model", M("no-weights")], error: /no-weights: no model\.safetensors or model\.safetensors\.index\.json/ },
  { args: [...TRAIN, "--model", M("no-tokenizer")], error: /no-tokenizer\/tokenizer\.json: not found; accepted/ },
  { args: [...TRAIN, "--model", M("tokenizer-not-json")], error: /tokenizer-not-json\/tokenizer\.json: tokenizer\.json is not valid JSON/ },
  // train / simulate: the runs folder, the run, the flags
  { args: ["simulate", "--steps", "1", "--runs-dir", "afile"], error: /afile( is a file|: it already exists)/ },
  { args: ["train", "--backend", "sim", "--steps", "1", "--runs-dir", "afile/sub"], error: /afile/ },
  { args: [...TRAIN, "--resume", "runs/nowhere"], error: /nowhere/ },
  { args: [...SIM, "--config", "bad-config.json"], error: /config file bad-config\.json is not valid JSON/ },
  { args: [...SIM, "--task", "random-span"], error: /--task random-span needs a language model/ },
  { args: [...TRAIN, "--min-words", "50", "--max-words", "10"], error: /--min-words 50 is above --max-words 10/ },
  { args: [...SIM, "--task", "rlp"], error: /--task rlp needs a language model \(--backend model\); the simulator's policies have no log-probabilities/ },
  { args: [...SIM, "--task", "rpt"], error: /--task rpt needs a language model .*no tokenizer/ },
  { args: [...TRAIN, "--task", "nope"], error: /--task must be one of pretrainzero, .*rlp, got "nope"/ },
  { args: [...TRAIN, "--task", "rpt", "--rpt-entropy-top", "0"], error: /--rpt-entropy-top/ },
  { args: [...TRAIN, "--task", "rlp", "--rlp-ema-decay", "1.5"], error: /--rlp-ema-decay/ },
  // report
  { args: ["report", "no-metrics"], error: /run .*no-metrics has no metrics\.jsonl; accepted/ },
  { args: ["report", "config-not-json"], error: /config-not-json\/config\.json is not valid JSON .*accepted/ },
  { args: ["report", "bad-metrics"], error: /metrics\.jsonl line 2 is not JSON/ },
  { args: ["report", "nowhere"], error: /run not found: nowhere/ },
  { args: ["report", "metrics-gap", "--runs-dir", "afile"], error: /run not found: metrics-gap .*--runs-dir afile is a file/ },
  { args: ["report", "metrics-gap", "--strict"], error: /run metrics-gap .*step 2 missing in metrics\.jsonl \(--strict\)/ },
  // inspect
  { args: ["inspect", "config-not-json"], error: /config-not-json\/config\.json is not valid JSON/ },
  { args: ["inspect", "nowhere.spzlog"], error: /not found: nowhere\.spzlog/ },
  { args: ["inspect", "log-gap", "--runs-dir", "afile"], error: /not found: log-gap .*--runs-dir afile is a file/ },
  { args: ["inspect", "empty.spzlog"], error: /empty\.spzlog is truncated before its header/ },
  { args: ["inspect", "not-a-log.spzlog", "--list"], error: /not-a-log\.spzlog is not an episode log/ },
  { args: ["inspect", "emptydir", "--list"], error: /emptydir is not a run folder: it has no config\.json/ },
  { args: ["inspect", "gap.spzlog", "--list", "--limit", "0"], error: /episode log gap\.spzlog: step 2 missing; accepted: every step from 0 on/ },
  { args: ["inspect", "dup.spzlog", "--list", "--limit", "0"], error: /episode log dup\.spzlog: step 1 written twice/ },
  { args: ["inspect", "log-gap", "--list", "--limit", "0"], error: /step 2 missing/ },
  { args: ["inspect", "metrics-dup", "--list", "--limit", "0"], error: /metrics-dup\/metrics\.jsonl: step 1 written twice/ },
  // replay
  { args: ["replay", "nowhere.spzlog"], error: /episode log not found: nowhere\.spzlog/ },
  { args: ["replay", "empty.spzlog"], error: /truncated before its header/ },
  { args: ["replay", "not-a-log.spzlog"], error: /is not an episode log \(bad magic/ },
  { args: ["replay", "emptydir"], error: /emptydir is a directory, not an episode log/ },
  // score
  { args: ["score", "--model", join(FIXTURES, "tiny-llama"), "--ids="], error: /--ids is empty .*accepted: comma-separated token ids/ },
  { args: ["score", "--model", join(FIXTURES, "tiny-llama"), "--ids", "1,,2"], error: /--ids: "" is not a token id/ },
  { args: ["score", "--model", join(FIXTURES, "tiny-llama"), "--ids", "1,x"], error: /--ids: "x" is not a token id/ },
  { args: ["score", "--model", join(FIXTURES, "tiny-llama"), "--ids", "999999"], error: /"999999" is not a token id .*\[0, 660\)/ },
  { args: ["score", "--model", "nowhere", "--ids", "1"], error: /--model nowhere: no such folder/ },
  { args: ["score", "--model", M("config-not-json"), "--ids", "1"], error: /config\.json: not valid JSON/ },
  { args: ["score", "--model", M("truncated"), "--ids", "1"], error: /truncated\/model\.safetensors/ },
  { args: ["score", "--model", M("no-tokenizer"), "--text", "hello"], error: /tokenizer\.json: not found/ },
  // eval
  { args: ["eval"], error: /nothing to evaluate/ },
  { args: ["eval", "--model", M("wrong-shape")], error: /has shape \[64,128\]; expected \[64,96\]/ },
  { args: ["eval", "runs/config-not-json"], error: /config\.json.*(not valid JSON|invalid JSON)/ },
  { args: ["eval", "runs/nowhere"], error: /runs\/nowhere is not a run folder/ },
  // corpus
  { args: ["corpus", "--inspect", "utf16.txt"], error: /UTF-16LE/ },
  { args: ["corpus", "--inspect", "missing.txt"], error: /no such file or directory: missing\.txt/ },
  { args: ["corpus"], error: /nothing to inspect/ },
  { args: ["corpus", "--inspect", "short.txt", "--min-words", "50", "--max-words", "10"], error: /--min-words 50 is above --max-words 10/ },
  // exec-check
  { args: ["exec-check", "missing.py", "--input", "1"], error: /cannot read program missing\.py: no such file/ },
  { args: ["exec-check", "emptydir", "--input", "1"], error: /cannot read program emptydir: it is a directory/ },
  { args: ["exec-check", "prog.py"], error: /--input is required/ },
  { args: ["exec-check", "prog.py", "--input", "1", "--entry", "1bad"], error: /--entry must be a Python identifier/ },
  // lm-pretrain
  { args: ["lm-pretrain"], error: /--out is required/ },
  { args: ["lm-pretrain", "--out", "nonempty-out"], error: /--out nonempty-out is not empty/ },
  { args: ["lm-pretrain", "--out", "new-model", "--hidden", "100", "--heads", "3"], error: /--hidden 100 must be divisible by --heads 3/ },
  { args: ["lm-pretrain", "--out", "new-model", "--corpus", "empty.txt"], error: /empty\.txt is empty/ },
  // the front door
  { args: ["frobnicate"], error: /unknown command "frobnicate"/ },
];

/** Every path under `root` with its size and modification time: any write shows up. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      const st = statSync(p);
      out.push(`${relative(root, p)}${e.isDirectory() ? "/" : ` ${st.size} ${st.mtimeMs}`}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

async function run(args: string[]) {
  const p = Bun.spawn(["bun", MAIN, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

test(`${rows.length} bad inputs: exit 2, one error line naming the problem, no stack or source, nothing written`, async () => {
  expect(rows.length).toBeGreaterThanOrEqual(40);
  const failures: string[] = [];
  const BATCH = 4;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const before = snapshot(dir);
    const results = await Promise.all(batch.map((r) => run(r.args)));
    const after = snapshot(dir);
    batch.forEach((row, k) => {
      const { err, code } = results[k]!;
      const what = `bun run ${row.args.join(" ")}`;
      const lines = err.trim().split("\n");
      if (code !== (row.code ?? 2)) failures.push(`${what}: exit ${code}, expected ${row.code ?? 2}: ${err.trim()}`);
      else if (lines.length !== 1 || !/^error: /.test(lines[0]!)) failures.push(`${what}: expected one error line, got: ${err.trim()}`);
      else if (!row.error.test(lines[0]!)) failures.push(`${what}: ${lines[0]} does not match ${row.error}`);
      if (/^\s+at |^\s*\d+ \| /m.test(err)) failures.push(`${what}: stack trace or source in stderr: ${err}`);
    });
    if (after.join("\n") !== before.join("\n")) {
      const added = after.filter((x) => !before.includes(x));
      const removed = before.filter((x) => !after.includes(x));
      failures.push(`one of [${batch.map((r) => r.args.join(" ")).join(" | ")}] changed the working folder: +${added.join(", ")} -${removed.join(", ")}`);
    }
  }
  expect(failures).toEqual([]);
});

test("--debug keeps the stack trace for the same bad input", async () => {
  const r = await run([...TRAIN, "--model", M("truncated"), "--debug"]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^error: .*truncated/);
  expect(r.err.trim().split("\n").length).toBeGreaterThan(1);
  expect(r.err).toMatch(/^\s+at /m);
});

test("--json: bad input still ends stdout with a JSON line saying what failed", async () => {
  const r = await run([...SIM, "--corpus", "utf16.txt", "--json"]);
  expect(r.code).toBe(2);
  expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toMatchObject({ ok: false, exitCode: 2, error: expect.stringMatching(/UTF-16LE/) });
});
