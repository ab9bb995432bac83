import { expect, test } from "bun:test";
import { join } from "node:path";
import { EpisodeLogReader } from "../../src/protocol/log.ts";
import type { Message, SampleRequest, SampleResponse, Scored } from "../../src/protocol/messages.ts";
import { CompletionLog, naturalCompare } from "../../src/runtime/sinks/completions.ts";
import { rng } from "../../src/runtime/rng.ts";

/** Step 0 of the recorded simulator run (fixtures/logs): every message, in the log's canonical order. */
function step0(): Message[] {
  const r = EpisodeLogReader.open(join(import.meta.dir, "../../fixtures/logs/sim-pretrainzero.spzlog"));
  const out: Message[] = [];
  for (const rec of r.records()) {
    if (rec.step > 0) break;
    out.push(rec.msg);
  }
  r.close();
  return out;
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const a = [...xs];
  const r = rng({ seed, step: 0, role: "test-shuffle", item: 0 });
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

test("keys sort naturally: s0/p2 before s0/p10, a passage before its masks", () => {
  expect(["s0/p10", "s0/p2/g1", "s0/p2", "s0/p1"].sort(naturalCompare)).toEqual(["s0/p1", "s0/p2", "s0/p2/g1", "s0/p10"]);
});

test("the N logged completions do not depend on the order messages arrived in", () => {
  const msgs = step0();
  const take = (order: Message[]) => {
    const log = new CompletionLog(5);
    for (const m of order) log.see(m);
    return log.take(0);
  };
  const canonical = take(msgs);
  expect(canonical).toHaveLength(5);
  for (const seed of [1, 2, 3]) expect(take(shuffled(msgs, seed))).toEqual(canonical);
});

test("each row is a sampled completion with its prompt and its scored reward; first completions of every prompt come first", () => {
  const msgs = step0();
  const log = new CompletionLog(1_000_000);
  for (const m of msgs) log.see(m);
  const rows = log.take(0);
  const groups = msgs.filter((m): m is Scored => m.type === "scored").flatMap((m) => m.groups);
  expect(rows).toHaveLength(groups.reduce((n, g) => n + g.rewards.length, 0));
  // Order: sample index, then generator before predictor, then key.
  const gens = groups.filter((g) => g.role === "generator").length;
  expect(rows.slice(0, gens).every((r) => r.sample === 0 && r.role === "generator")).toBe(true);
  expect(rows[gens]!.role).toBe("predictor");
  for (const r of rows) {
    const req = msgs.find((m): m is SampleRequest => m.type === "sample.request" && m.role === r.role && m.prompts.some((p) => p.key === r.key))!;
    const res = msgs.find((m): m is SampleResponse => m.type === "sample.response" && m.role === r.role && m.results.some((x) => x.key === r.key))!;
    const g = groups.find((x) => x.role === r.role && x.key === r.key)!;
    expect(r.prompt).toBe(req.prompts.find((p) => p.key === r.key)!.text);
    expect(r.completion).toBe(res.results.find((x) => x.key === r.key)!.completions[r.sample]!.text);
    expect(r.reward).toBe(g.rewards[r.sample]!);
  }
  // The mask family's answers: a generator row names the span it masked, a predictor row the span it had to fill.
  const gen = rows.find((r) => r.role === "generator" && typeof r.span === "string")!;
  expect(gen.completion).toContain(`\\mask{${gen.span}}`);
  const pred = rows.find((r) => r.role === "predictor")!;
  expect(typeof pred.answer).toBe("string");
  expect(pred.key.startsWith(`${pred.item}/g`)).toBe(true);
});

test("a step is forgotten once taken, and N = 0 keeps nothing", () => {
  const msgs = step0();
  const log = new CompletionLog(2);
  for (const m of msgs) log.see(m);
  expect(log.take(0)).toHaveLength(2);
  expect(log.take(0)).toEqual([]);
  const off = new CompletionLog(0);
  for (const m of msgs) off.see(m);
  expect(off.take(0)).toEqual([]);
});
