// `bun run exec-check FILE.py --input EXPR`: runs one program in the sandbox and prints its verdict
// as one JSON line, so users and tests can see exactly what the sandbox allows.

import * as fs from "node:fs";
import { bool, defineCommand, InputError, int, optStr, str, type Command } from "./args.ts";
import { createPythonExecutor, DEFAULT_LIMITS, DETERMINISM_BANNED, type ExecRequest } from "../exec/index.ts";

export const execCheckCommand: Command = defineCommand(
  {
    name: "exec-check",
    summary: "run a Python program in the sandbox and print the verdict as JSON (ok, output or error, time in ms)",
    positionals: [{ name: "FILE.py", help: "the program; it must define the entry function (f by default)", required: true }],
    flags: [
      { name: "input", type: "string", help: "the arguments of the call, as Python source: '[1, 2], 3' runs f([1, 2], 3)", required: true },
      { name: "expected", type: "string", help: "a value expression to compare the result with (by Python ==, inside the sandbox); adds \"equal\"" },
      { name: "entry", type: "string", help: "name of the function to call", default: "f" },
      { name: "timeout-ms", type: "int", help: "wall-time limit of the run", default: DEFAULT_LIMITS.timeoutMs, min: 1, max: 600_000 },
      { name: "memory-mb", type: "int", help: "heap limit of the sandbox in MiB", default: DEFAULT_LIMITS.memoryMb, min: 64, max: 4000 },
      { name: "output-bytes", type: "int", help: "limit on printed output and on the result's repr", default: DEFAULT_LIMITS.outputBytes, min: 16, max: 64 * 1024 * 1024 },
      { name: "determinism-bans", type: "boolean", help: `also refuse the AZR nondeterminism modules (${DETERMINISM_BANNED.slice(0, 4).join(", ")}, ...)`, default: true },
    ],
    examples: [
      "bun run exec-check prog.py --input '[3, 1, 2]'",
      "bun run exec-check prog.py --input '\"abc\", 2' --expected \"'cc'\"",
      "bun run exec-check loop.py --input 0 --timeout-ms 500",
    ],
  },
  async (args) => {
    const file = args.positionals[0]!;
    let program: string;
    try {
      program = fs.readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (e as Error).message;
      throw new InputError(`cannot read program ${file}: ${why}; pass a Python file that defines f`);
    }
    const input = str(args, "input");
    const expected = optStr(args, "expected");
    const entry = str(args, "entry");
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry)) throw new InputError(`--entry must be a Python identifier, got ${JSON.stringify(entry)}`);
    const executor = createPythonExecutor({
      poolSize: 1,
      limits: { timeoutMs: int(args, "timeout-ms"), memoryMb: int(args, "memory-mb"), outputBytes: int(args, "output-bytes") },
      bannedModules: bool(args, "determinism-bans") ? DETERMINISM_BANNED : [],
    });
    try {
      const request: ExecRequest =
        expected === undefined ? { op: "run", program, input, entry } : { op: "check", program, input, expected, entry };
      const v = await executor.run(request);
      // Field order is fixed so the line reads the same every time: ok, output/equal or error, stdout, time.
      const line = v.ok
        ? { ok: true, output: v.output, ...(v.equal === undefined ? {} : { equal: v.equal }), ...(v.stdout ? { stdout: v.stdout } : {}), timeMs: round(v.timeMs) }
        : { ok: false, error: v.error, ...(v.stdout ? { stdout: v.stdout } : {}), timeMs: round(v.timeMs) };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      return 0;
    } finally {
      await executor.close();
    }
  },
);

const round = (ms: number): number => Math.round(ms * 10) / 10;

if (import.meta.main) process.exit(await execCheckCommand.main(process.argv.slice(2)));
