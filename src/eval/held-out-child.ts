// The process `--eval-every` starts for one evaluation (src/eval/eval-every.ts), so that training
// goes on meanwhile and the policy's copy lives and dies with it:
//   bun src/eval/held-out-child.ts RUN STEP PASSAGES
// prints one JSON line (an eval.jsonl row); a failure is one line on stderr and a non-zero exit.

import { heldOutRow } from "./held-out.ts";

// Started by a run (eval-every.ts), this process lives only as long as that run: its stdin is a
// pipe the run never writes, so when the run goes away, even by SIGKILL, stdin ends and so does
// the evaluation, rather than finishing unseen with a copy of the model in memory.
if (process.env.SPZ_EVAL_EXIT_WITH_PARENT === "1") {
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => process.exit(1));
}

const [run, step, passages] = process.argv.slice(2);
try {
  if (run === undefined || !/^\d+$/.test(step ?? "") || !/^\d+$/.test(passages ?? "")) throw new Error("usage: held-out-child.ts RUN STEP PASSAGES");
  const row = await heldOutRow(run, Number(step), { passages: Number(passages) });
  process.stdout.write(`${JSON.stringify(row)}\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`${(e as Error).message.split("\n")[0]}\n`);
  process.exit((e as { exitCode?: number }).exitCode ?? 1);
}
