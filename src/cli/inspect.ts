// `bun run inspect LOG`: check an episode log end to end and list its records.

import { encodeValue } from "../protocol/codec.ts";
import { readEpisodeLog, repairTornTail, type LogRecord } from "../protocol/log.ts";
import { ACTOR_IDS, STAGE_RANK } from "../protocol/messages.ts";
import { defineCommand } from "./args.ts";

export const inspectCommand = defineCommand(
  {
    name: "inspect",
    summary: "Verify every checksum of an episode log and list its records (filtered by step, type or actor).",
    positionals: [{ name: "LOG", help: "episode log written by --record", required: true }],
    flags: [
      { name: "step", type: "int", min: 0, help: "only records of this step" },
      { name: "type", type: "enum", values: Object.keys(STAGE_RANK), help: "only records of this message type" },
      { name: "actor", type: "enum", values: ACTOR_IDS, help: "only records sent or received by this actor" },
      { name: "limit", type: "int", min: 0, default: 50, help: "list at most this many records (0: none, only the summary)" },
      { name: "show", type: "int", min: 1, help: "print the full message of the record with this sequence number" },
      { name: "repair-torn-tail", type: "boolean", default: false, help: "cut an incomplete final record left by a crash (never touches anything else)" },
    ],
    examples: ["bun run inspect runs/sim.spzlog --step 3 --type scored", "bun run inspect runs/sim.spzlog --show 42"],
  },
  async (args) => {
    const file = args.positionals[0]!;
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
    const steps = new Set(log.records.map((r) => r.step));
    say(`${file}: ${log.records.length} records, ${steps.size} steps, ${log.bytes} bytes, every checksum valid; written by '${log.header.command}'`);
    if (f.show !== undefined) {
      const r = log.records.find((x) => x.seq === f.show);
      if (!r) throw Object.assign(new Error(`no record with sequence number ${f.show} in ${file} (1..${log.records.length})`), { exitCode: 2 });
      say(JSON.stringify(r, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v), 2));
    }
    const limit = f.limit as number;
    if (limit > 0) {
      say(`${"seq".padStart(7)}  ${"step".padStart(5)}  ${"from".padEnd(9)}  ${"to".padEnd(9)}  ${"type".padEnd(15)}  ${"bytes".padStart(7)}  id`);
      for (const r of selected.slice(0, limit)) {
        say(`${String(r.seq).padStart(7)}  ${String(r.step).padStart(5)}  ${r.from.padEnd(9)}  ${r.to.padEnd(9)}  ${r.type.padEnd(15)}  ${String(encodeValue(r.msg).length).padStart(7)}  ${r.id}`);
      }
      if (selected.length > limit) say(`... ${selected.length - limit} more (raise --limit)`);
    }
    if (args.json) say(JSON.stringify({ log: file, records: log.records.length, selected: selected.length, steps: steps.size, bytes: log.bytes, ok: true }));
    return 0;
  },
);
