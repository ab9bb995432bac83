// Hostile programs: each must end in an error verdict while this process (the "trainer") keeps
// running and its files and environment stay unchanged. Tight limits keep the suite fast. Some
// cases deliberately go around the Python policy layer (through module internals such as
// collections._sys) to show that the layers under it hold on their own.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createPythonExecutor, type Executor, type Verdict } from "../../src/exec/index.ts";

const nonce = `${process.pid}-${Date.now().toString(36)}`;
const secret = `azr-secret-${nonce}`;
const canary = `azr-canary-${nonce}`;
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-"));
const secretFile = path.join(hostDir, "secret.txt");
const sentinel = path.join(hostDir, "written-by-sandbox");

// Reaches sys/os/importlib without importing them, as a determined program could.
const SYS = "__import__('collections')._sys";
const bypass = (body: string): string => `import collections\n_sys = collections._sys\ndef f(a):\n${body.split("\n").map((l) => `    ${l}`).join("\n")}`;

interface Case {
  name: string;
  program: string;
  /** Accepted error kinds. */
  kinds: string[];
}

const CASES: Case[] = [
  // loops
  { name: "loop: while True", program: "def f(a):\n    while True:\n        pass", kinds: ["timeout"] },
  { name: "loop: swallows the interrupt (runtime killed)", program: "def f(a):\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass", kinds: ["timeout"] },
  { name: "loop: inside C code, never checks the interrupt (runtime killed)", program: "def f(a):\n    return sum(range(10 ** 15))", kinds: ["timeout"] },
  // memory
  // Under heavy load the RSS watchdog can win the race against the heap cap: still contained.
  { name: "memory: growing list of strings", program: "def f(a):\n    x = []\n    while True:\n        x.append('a' * 3 * 10 ** 7)", kinds: ["memory", "crashed"] },
  { name: "memory: one huge allocation", program: "def f(a):\n    return len(bytearray(2 ** 30))", kinds: ["memory"] },
  { name: "memory: catches MemoryError and carries on", program: "def f(a):\n    try:\n        x = [0] * 10 ** 8\n    except MemoryError:\n        pass\n    return 1", kinds: ["memory"] },
  // recursion
  { name: "recursion: unbounded Python recursion", program: "def f(a):\n    return f(a + 1)", kinds: ["exception"] },
  { name: "recursion: deeply nested value through repr", program: "def f(a):\n    x = []\n    for _ in range(10 ** 6):\n        x = [x]\n    return len(repr(x))", kinds: ["exception", "memory", "crashed"] },
  { name: "recursion: nested output deeper than the plain-value check allows", program: "def f(a):\n    x = []\n    for _ in range(1000):\n        x = [x]\n    return x", kinds: ["unsupported_value"] },
  // files
  { name: "files: open() on a host file", program: `def f(a):\n    return open(${JSON.stringify(secretFile)}).read()`, kinds: ["banned"] },
  { name: "files: io/pathlib", program: `import pathlib\ndef f(a):\n    return pathlib.Path(${JSON.stringify(secretFile)}).read_text()`, kinds: ["banned"] },
  { name: "files: host file through os internals (not mounted)", program: bypass(`return _sys.modules['os'].open(${JSON.stringify(secretFile)}, 0)`), kinds: ["exception"] },
  { name: "files: write through an allowed module (read-only FS)", program: `import zipfile\ndef f(a):\n    zipfile.ZipFile(${JSON.stringify(sentinel)}, 'w').close()\n    return 1`, kinds: ["exception"] },
  { name: "files: write through os internals", program: bypass(`fd = _sys.modules['os'].open(${JSON.stringify(sentinel)}, 65)\nreturn fd`), kinds: ["exception"] },
  // network
  { name: "network: import socket", program: "import socket\ndef f(a):\n    return socket.create_connection(('1.1.1.1', 80))", kinds: ["banned"] },
  { name: "network: urllib", program: "import urllib.request\ndef f(a):\n    return urllib.request.urlopen('http://example.com').read()", kinds: ["banned"] },
  { name: "network: socket through an allowed module", program: "import xmlrpc.client\ndef f(a):\n    return xmlrpc.client.ServerProxy('http://93.184.216.34/').x()", kinds: ["exception", "timeout"] },
  { name: "network: socket module through sys.modules", program: bypass("s = _sys.modules['importlib'].import_module('socket')\nreturn s.create_connection(('1.1.1.1', 80), timeout=1)"), kinds: ["exception"] },
  // environment
  { name: "environment: os.environ", program: "import os\ndef f(a):\n    return dict(os.environ)", kinds: ["banned"] },
  { name: "environment: the host's variable through os internals", program: bypass(`v = _sys.modules['os'].environ.get('AZR_SANDBOX_CANARY')\nassert v is not None, 'no canary: ' + repr(sorted(_sys.modules['os'].environ))\nreturn v`), kinds: ["exception"] },
  // subprocesses
  { name: "subprocess: import subprocess", program: "import subprocess\ndef f(a):\n    return subprocess.run(['id']).returncode", kinds: ["banned"] },
  { name: "subprocess: os.system through os internals", program: bypass(`rc = _sys.modules['os'].system('touch ${sentinel}')\nassert rc == 0, rc\nreturn rc`), kinds: ["exception", "crashed"] },
  { name: "subprocess: fork", program: bypass("return _sys.modules['os'].fork()"), kinds: ["exception"] },
  // the JS bridge
  { name: "js bridge: import js", program: "import js\ndef f(a):\n    return str(js.process.env)", kinds: ["banned"] },
  { name: "js bridge: import pyodide_js", program: "import pyodide_js\ndef f(a):\n    return str(pyodide_js.FS)", kinds: ["banned"] },
  { name: "js bridge: from pyodide.ffi import", program: "from pyodide.ffi import to_js\ndef f(a):\n    return str(to_js({}))", kinds: ["banned"] },
  { name: "js bridge: __import__('js')", program: "def f(a):\n    return str(__import__('js').Bun)", kinds: ["banned"] },
  { name: "js bridge: ctypes", program: "import ctypes\ndef f(a):\n    return ctypes.CDLL(None)", kinds: ["banned"] },
  { name: "js bridge: js module through importlib (unregistered)", program: bypass("js = _sys.modules['importlib'].import_module('js')\nreturn str(js.Bun)"), kinds: ["exception"] },
  { name: "js bridge: pyodide_js through importlib (unregistered)", program: bypass("p = _sys.modules['importlib'].import_module('pyodide_js')\nreturn str(p.FS)"), kinds: ["exception"] },
  { name: "js bridge: Function constructor from a JS value", program: bypass("core = _sys.modules['importlib'].import_module('_pyodide_core')\narr = core.to_js([1])\nreturn str(arr.constructor.constructor('return globalThis.process.env')())"), kinds: ["exception"] },
  { name: "js bridge: Function global through a JS value's prototype chain", program: bypass("core = _sys.modules['importlib'].import_module('_pyodide_core')\nfn = core.to_js(lambda: 1)\nreturn str(fn.constructor('return 1')())"), kinds: ["exception"] },
  { name: "js bridge: pyodide.code.run_js", program: bypass("code = _sys.modules['importlib'].import_module('pyodide.code')\nreturn str(code.run_js('globalThis.process.env'))"), kinds: ["exception", "timeout"] },
  { name: "js bridge: emscripten_run_script through ctypes", program: bypass("ct = _sys.modules['importlib'].import_module('ctypes')\nlib = ct.CDLL(None)\nreturn lib.emscripten_run_script_int(b'1+1')"), kinds: ["exception", "crashed"] },
  // huge outputs
  { name: "output: printing forever", program: "def f(a):\n    while True:\n        print('x' * 1000)", kinds: ["output_limit"] },
  { name: "output: huge returned string", program: "def f(a):\n    return 'x' * 10 ** 7", kinds: ["output_limit"] },
  { name: "output: huge integer", program: "def f(a):\n    return 7 ** 200000", kinds: ["output_limit"] },
];

describe("hostile programs are contained", () => {
  let ex: Executor & { warm(): Promise<void> };
  const envBefore = JSON.stringify(process.env);
  const verdicts = new Map<string, Verdict>();

  beforeAll(async () => {
    fs.writeFileSync(secretFile, secret);
    process.env.AZR_SANDBOX_CANARY = canary;
    ex = createPythonExecutor({ poolSize: 2, bannedModules: [], limits: { timeoutMs: 1000, killGraceMs: 500, memoryMb: 128, outputBytes: 16 * 1024 } });
    await ex.warm();
  }, 180_000);

  afterAll(async () => {
    await ex?.close();
    delete process.env.AZR_SANDBOX_CANARY;
    fs.rmSync(hostDir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(c.name, async () => {
      const v = await ex.run({ op: "run", program: c.program, input: "0" });
      verdicts.set(c.name, v);
      expect({ ok: v.ok, kind: v.ok ? v.output : v.error.kind, in: c.kinds.includes(v.ok ? "" : v.error.kind) }).toMatchObject({ ok: false, in: true });
      const text = JSON.stringify(v);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(canary);
    }, 120_000);
  }

  test("the pool still answers after every hostile case", async () => {
    const v = await ex.run({ op: "run", program: "def f(a):\n    return a + 1", input: "41" });
    expect(v).toMatchObject({ ok: true, output: "42" });
  }, 30_000);

  test("the host's files and environment are unchanged", () => {
    expect(fs.existsSync(sentinel)).toBe(false);
    expect(fs.readFileSync(secretFile, "utf8")).toBe(secret);
    expect(fs.readdirSync(hostDir)).toEqual(["secret.txt"]);
    delete process.env.AZR_SANDBOX_CANARY;
    expect(JSON.stringify(process.env)).toBe(envBefore);
    process.env.AZR_SANDBOX_CANARY = canary;
  });

  test("prints the verdicts (for the report)", () => {
    if (process.env.EXEC_VERBOSE) for (const [name, v] of verdicts) console.log(`${name}: ${v.ok ? "ok" : `${v.error.kind}: ${v.error.message.slice(0, 120)}`}`);
    expect(verdicts.size).toBe(CASES.length);
  });
});
