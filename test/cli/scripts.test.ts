// The front door: every package script answers `bun run <script> --help` itself. Bun, like npm,
// runs a script named pre<X> before <X> (and post<X> after), so no script may be named after
// another with those prefixes: `bun run train` once ran a `pretrain` script first and failed.

import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";

setDefaultTimeout(60_000);

const repo = join(import.meta.dir, "..", "..");
const scripts = (await Bun.file(join(repo, "package.json")).json()).scripts as Record<string, string>;

/** What the first lines of `--help` must say for each kind of script. */
function expectedHelp(name: string, body: string): RegExp {
  const cli = /^bun src\/cli\/main\.ts (\S+)$/.exec(body);
  if (cli) return new RegExp(`^${cli[1]}: [\\s\\S]*Usage: bun run ${cli[1]} `, "m");
  if (body.startsWith("bun test")) return /Usage: bun test/;
  if (body.startsWith("tsc ")) return /The TypeScript Compiler/;
  throw new Error(`package script ${name} (${body}) has no expected --help answer in this test; add one`);
}

test("no script runs as another script's pre/post hook", () => {
  const names = Object.keys(scripts);
  const shadowing = names.filter((k) => names.some((o) => k === `pre${o}` || k === `post${o}`));
  expect(shadowing).toEqual([]);
});

test("every CLI script runs the command of its own name", () => {
  for (const [name, body] of Object.entries(scripts)) {
    const cli = /^bun src\/cli\/main\.ts (\S+)$/.exec(body);
    if (cli) expect(cli[1]).toBe(name);
  }
});

for (const [name, body] of Object.entries(scripts)) {
  test(`bun run ${name} --help answers with ${name}'s own help and exits 0`, () => {
    const p = Bun.spawnSync(["bun", "run", name, "--help"], { cwd: repo, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    const out = p.stdout.toString() + p.stderr.toString();
    // Bun echoes each script it runs as "$ <body>": exactly one, and it is this script's.
    const ran = out.split("\n").filter((l) => l.startsWith("$ "));
    expect(ran).toEqual([`$ ${body} --help`]);
    expect(out).toMatch(expectedHelp(name, body));
    expect(p.exitCode).toBe(0);
  });
}
