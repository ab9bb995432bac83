// The CUDA path's checks, on a machine without a GPU: the ELF reader against readelf, what the
// check finds and says is missing (provider libraries, the CUDA libraries the provider links
// against, the device), loading libraries by path, and setup-cuda's error paths and install step.
// Stand-ins for the provider are real ELF libraries of onnxruntime-node (its binding links against
// libonnxruntime.so.1 the way the CUDA provider links against cuBLAS).

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDynamic } from "../../src/engine/cuda/elf.ts";
import { checkCuda, cudaMissing, cudaSearchDirs, nvidiaDevice, ortNativeDir } from "../../src/engine/cuda/libraries.ts";
import { preloadCudaLibraries } from "../../src/engine/cuda/preload.ts";

setDefaultTimeout(60_000);

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
const ORT = ortNativeDir({});
const BINDING = join(ORT, "onnxruntime_binding.node");
const LIBORT = join(ORT, "libonnxruntime.so.1");
const dir = mkdtempSync(join(tmpdir(), "spz-cuda-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder laid out like onnxruntime-node's native folder, the binding standing in for the CUDA provider. */
function standInProviders(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  copyFileSync(BINDING, join(d, "libonnxruntime_providers_cuda.so"));
  copyFileSync(BINDING, join(d, "libonnxruntime_providers_shared.so"));
  return d;
}

function deviceRoot(name: string, parts: { nvidiactl?: boolean; driver?: boolean }): string {
  const r = join(dir, name);
  mkdirSync(join(r, "dev"), { recursive: true });
  mkdirSync(join(r, "proc/driver/nvidia"), { recursive: true });
  if (parts.nvidiactl) writeFileSync(join(r, "dev/nvidiactl"), "");
  if (parts.driver) writeFileSync(join(r, "proc/driver/nvidia/version"), "NVRM version: 580\n");
  return r;
}

describe("the ELF dynamic section", () => {
  const readelf = Bun.which("readelf");
  test.skipIf(!readelf)("reads what readelf -d reads: needed libraries, soname and run path", () => {
    for (const lib of [LIBORT, BINDING]) {
      const text = Bun.spawnSync([readelf!, "-d", lib], { stdout: "pipe" }).stdout.toString();
      const all = (tag: string) => [...text.matchAll(new RegExp(`\\(${tag}\\)\\s+[^\\[]*\\[([^\\]]*)\\]`, "g"))].map((m) => m[1]!);
      const d = readDynamic(lib);
      expect(d.needed).toEqual(all("NEEDED"));
      expect(d.soname).toBe(all("SONAME")[0]);
      expect(d.runpath).toEqual(all("RUNPATH").flatMap((r) => r.split(":")));
    }
  });

  test("onnxruntime-node 1.29.0's binding needs libonnxruntime.so.1", () => {
    expect(readDynamic(BINDING).needed).toContain("libonnxruntime.so.1");
    expect(readDynamic(LIBORT).soname).toBe("libonnxruntime.so.1");
  });

  test("a file that is not ELF is refused by name", () => {
    const f = join(dir, "not-elf.so");
    writeFileSync(f, "just text, long enough to hold an ELF header of sixty-four bytes........");
    expect(() => readDynamic(f)).toThrow(/not-elf\.so is not an ELF file/);
  });
});

describe("what the CUDA check says is missing", () => {
  test("no provider libraries: it names both and the command that installs them", () => {
    const c = checkCuda({ nativeDir: join(dir, "empty"), dirs: [] });
    expect(cudaMissing(c)).toMatch(/^CUDA execution provider not installed: libonnxruntime_providers_shared\.so, libonnxruntime_providers_cuda\.so missing from .*empty \(run bun run setup-cuda\)$/);
    expect(c.libraries).toEqual([]);
  });

  test("the provider's needed libraries are looked for in the search folders, cuDNN too", () => {
    const nativeDir = standInProviders("providers-a");
    const none = checkCuda({ nativeDir, dirs: [join(dir, "nowhere")], deviceRoot: deviceRoot("dev-a", { nvidiactl: true, driver: true }) });
    expect(none.libraries.map((l) => [l.name, l.path])).toEqual([
      ["libonnxruntime.so.1", undefined],
      ["libcudnn.so.9", undefined],
    ]);
    expect(cudaMissing(none)).toMatch(/^CUDA libraries not found: libonnxruntime\.so\.1, libcudnn\.so\.9 \(searched LD_LIBRARY_PATH/);
    const found = checkCuda({ nativeDir, dirs: [join(dir, "nowhere"), ORT] });
    expect(found.libraries[0]).toEqual({ name: "libonnxruntime.so.1", path: LIBORT, neededBy: "libonnxruntime_providers_cuda.so" });
  });

  test("a Python environment's nvidia/*/lib folders are searched after LD_LIBRARY_PATH", () => {
    const site = join(dir, "venv/lib/python3.12/site-packages");
    for (const pkg of ["cublas", "cudnn"]) mkdirSync(join(site, "nvidia", pkg, "lib"), { recursive: true });
    const python = join(dir, "venv/python");
    writeFileSync(python, `#!/bin/sh\necho ${site}\n`, { mode: 0o755 });
    const dirs = cudaSearchDirs({ env: { LD_LIBRARY_PATH: "/opt/a:/opt/b" }, python });
    expect(dirs.slice(0, 4)).toEqual(["/opt/a", "/opt/b", join(site, "nvidia/cublas/lib"), join(site, "nvidia/cudnn/lib")]);
    expect(cudaSearchDirs({ env: {}, python: join(dir, "no-python") })[0]).toBe("/usr/local/cuda/lib64");
  });

  test("the device: its node, then its driver", () => {
    expect(nvidiaDevice(deviceRoot("dev-none", {}))).toEqual({ present: false, detail: "no NVIDIA device: /dev/nvidiactl is missing" });
    expect(nvidiaDevice(deviceRoot("dev-node", { nvidiactl: true })).detail).toMatch(/driver is not loaded/);
    expect(nvidiaDevice(deviceRoot("dev-both", { nvidiactl: true, driver: true })).present).toBe(true);
  });

  test("libraries are opened by path, dependencies first; one that will not open is named", () => {
    const zlib = ["/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1"].find(existsSync);
    if (zlib) {
      const c = { ...checkCuda({ nativeDir: join(dir, "empty"), dirs: [] }), libraries: [{ name: "libz.so.1", path: zlib, neededBy: "test" }] };
      expect(preloadCudaLibraries(c)).toEqual([zlib]);
    }
    const bad = join(dir, "bad.so");
    writeFileSync(bad, "not a library");
    const c = { ...checkCuda({ nativeDir: join(dir, "empty"), dirs: [] }), libraries: [{ name: "bad.so", path: bad, neededBy: "test" }] };
    expect(() => preloadCudaLibraries(c)).toThrow(/^cannot load .*bad\.so/);
  });
});

describe("bun run setup-cuda", () => {
  const cli = (args: string[], env: Record<string, string> = {}) => {
    const p = Bun.spawnSync(["bun", "run", "setup-cuda", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString().trim().split("\n").filter((l) => !l.startsWith("$ ") && !l.startsWith("error: script")) };
  };

  test("--check without the provider installed: exit 1, naming what is missing and changing nothing", () => {
    const nativeDir = join(dir, "check-only");
    mkdirSync(nativeDir);
    const r = cli(["--check", "--json"], { SPZ_ORT_NATIVE_DIR: nativeDir });
    expect(r.code).toBe(1);
    expect(r.out).toContain("MISSING libonnxruntime_providers_cuda.so");
    const summary = JSON.parse(r.out.trim().split("\n").at(-1)!) as { ready: boolean; missing: string };
    expect(summary.ready).toBe(false);
    expect(summary.missing).toMatch(/not installed/);
    expect(readdirSync(nativeDir)).toEqual([]);
  });

  test.each([
    [["--from", "/nonexistent/ort-cuda"], /^error: --from \/nonexistent\/ort-cuda: no such file or folder$/],
    [["--from", "README.md"], /^error: --from README\.md: expected a folder or the package's \.tgz$/],
    [["--from", "fixtures"], /^error: --from fixtures: libonnxruntime_providers_shared\.so, libonnxruntime_providers_cuda\.so not found in it$/],
  ])("setup-cuda %p: one line, exit 2", (args, re) => {
    const nativeDir = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    mkdirSync(nativeDir);
    const r = cli(args as string[], { SPZ_ORT_NATIVE_DIR: nativeDir });
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(re);
  });

  test("--from a folder installs both provider libraries, then lists the CUDA libraries and the device it still lacks", () => {
    const nativeDir = join(dir, "install-into");
    mkdirSync(nativeDir);
    const r = cli(["--from", standInProviders("carried"), "--python", "/nonexistent/python", "--json"], { SPZ_ORT_NATIVE_DIR: nativeDir, LD_LIBRARY_PATH: "" });
    expect(readdirSync(nativeDir).sort()).toEqual(["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"]);
    const summary = JSON.parse(r.out.trim().split("\n").at(-1)!) as { ready: boolean; libraries: { name: string }[] };
    expect(summary.libraries.map((l) => l.name)).toEqual(["libonnxruntime.so.1", "libcudnn.so.9"]);
    expect(r.code).toBe(existsSync("/dev/nvidiactl") ? r.code : 1);
    expect(summary.ready).toBe(false);
  });
});
