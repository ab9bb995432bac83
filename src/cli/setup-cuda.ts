// `bun run setup-cuda`: put ORT's CUDA execution provider where onnxruntime-node loads it, find the
// CUDA libraries it needs, and say exactly what is missing. onnxruntime-node's own postinstall
// downloads the provider from a feed this project never asks for; the npm package
// com.github.asus4.onnxruntime.linux-x64-gpu ships the same ORT 1.29.0 provider libraries built for
// CUDA 13, so they come from the npm registry instead, or from a folder or .tgz carried to an
// offline machine (--from).

import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCuda, cudaMissing, cudaSearchDirs, ortNativeDir, PROVIDER_LIBRARIES, type CudaCheck } from "../engine/cuda/libraries.ts";
import { defineCommand, InputError } from "./args.ts";

/** The npm package and version whose provider libraries pair with onnxruntime-node 1.29.0. */
export const GPU_PACKAGE = "com.github.asus4.onnxruntime.linux-x64-gpu";
export const GPU_PACKAGE_VERSION = "0.4.9";

/** Every file under `dir` named like a provider library. */
function findProviders(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if ((PROVIDER_LIBRARIES as readonly string[]).includes(e) && !found.has(e)) found.set(e, p);
    }
  };
  walk(dir);
  return found;
}

/** The provider libraries from --from (a folder or a .tgz) or the npm package; the caller removes `cleanup`. */
function obtainProviders(from: string | undefined, say: (l: string) => void): { files: Map<string, string>; cleanup?: string } {
  if (from) {
    if (!existsSync(from)) throw new InputError(`--from ${from}: no such file or folder`);
    if (statSync(from).isDirectory()) return { files: findProviders(from) };
    if (!/\.(tgz|tar\.gz)$/.test(from)) throw new InputError(`--from ${from}: expected a folder or the package's .tgz`);
    const tmp = mkdtempSync(join(tmpdir(), "spz-cuda-"));
    const tar = Bun.spawnSync(["tar", "xzf", from, "-C", tmp], { stderr: "pipe" });
    if (tar.exitCode !== 0) throw new InputError(`--from ${from}: not a readable .tgz (${tar.stderr.toString().trim().split("\n").at(-1)})`);
    return { files: findProviders(tmp), cleanup: tmp };
  }
  const tmp = mkdtempSync(join(tmpdir(), "spz-cuda-"));
  say(`setup-cuda: installing ${GPU_PACKAGE}@${GPU_PACKAGE_VERSION} from the npm registry (about 180 MB) into a temporary folder`);
  Bun.write(join(tmp, "package.json"), "{}");
  const add = Bun.spawnSync(["bun", "add", `${GPU_PACKAGE}@${GPU_PACKAGE_VERSION}`], { cwd: tmp, stdout: "inherit", stderr: "pipe" });
  if (add.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new InputError(`cannot install ${GPU_PACKAGE}@${GPU_PACKAGE_VERSION}: ${add.stderr.toString().trim().split("\n").at(-1)}; on an offline machine, carry the two provider libraries and pass --from FOLDER`);
  }
  return { files: findProviders(join(tmp, "node_modules", GPU_PACKAGE)), cleanup: tmp };
}

function report(c: CudaCheck, say: (l: string) => void): void {
  say(`provider libraries (${c.nativeDir}):`);
  for (const p of c.providers) say(`  ${p.present ? "ok     " : "MISSING"} ${p.name}`);
  if (c.libraries.length) say("CUDA libraries:");
  for (const l of c.libraries) say(`  ${l.path ? "ok     " : "MISSING"} ${l.name.padEnd(20)} ${l.path ?? `needed by ${l.neededBy}`}`);
  if (c.libraries.some((l) => !l.path)) {
    say(`  searched: ${c.searched.join(", ")}`);
    say("  add the folder that holds them to LD_LIBRARY_PATH, or install CUDA 13's nvidia-* pip packages (cublas, cuda-runtime, curand, cudnn) in the Python environment given by --python");
  }
  say(`device: ${c.device.present ? "ok     " : "MISSING"} ${c.device.detail}`);
}

export const setupCudaCommand = defineCommand(
  {
    name: "setup-cuda",
    summary: "Install ORT's CUDA execution provider next to onnxruntime-node, find the CUDA libraries it needs (LD_LIBRARY_PATH, the Python environment's nvidia/*/lib, the CUDA toolkit) and check the device; lists exactly what is missing.",
    flags: [
      { name: "from", type: "path", help: `a folder holding ${PROVIDER_LIBRARIES.join(" and ")}, or the ${GPU_PACKAGE} .tgz (offline machines); default: that npm package, version ${GPU_PACKAGE_VERSION}` },
      { name: "check", type: "boolean", default: false, help: "only report what is there and what is missing; change nothing" },
      { name: "force", type: "boolean", default: false, help: "replace provider libraries that are already installed" },
      { name: "python", type: "string", default: "python3", help: "the Python whose site-packages/nvidia/*/lib folders hold CUDA libraries (pip's nvidia-* packages)" },
    ],
    examples: ["bun run setup-cuda", "bun run setup-cuda --check", "bun run setup-cuda --from /data/ort-cuda --python /opt/venv/bin/python"],
  },
  async (args) => {
    const say = (l: string) => console.log(l);
    const nativeDir = ortNativeDir();
    const dirs = () => cudaSearchDirs({ python: args.flags.python as string });
    const before = checkCuda({ nativeDir, dirs: [] });
    const missingProviders = before.providers.filter((p) => !p.present);
    if (!(args.flags.check as boolean) && (missingProviders.length || (args.flags.force as boolean))) {
      const { files, cleanup } = obtainProviders(args.flags.from as string | undefined, say);
      try {
        const lacking = PROVIDER_LIBRARIES.filter((n) => !files.has(n));
        if (lacking.length) throw new InputError(`${args.flags.from ? `--from ${args.flags.from as string}` : GPU_PACKAGE}: ${lacking.join(", ")} not found in it`);
        for (const name of PROVIDER_LIBRARIES) {
          copyFileSync(files.get(name)!, join(nativeDir, name));
          chmodSync(join(nativeDir, name), 0o755);
          say(`setup-cuda: installed ${join(nativeDir, name)}`);
        }
      } finally {
        if (cleanup) rmSync(cleanup, { recursive: true, force: true });
      }
    }
    const python = args.flags.python as string;
    if (!Bun.which(python)) say(`setup-cuda: --python ${python}: cannot run it, so no Python environment's nvidia/*/lib folders are searched`);
    const c = checkCuda({ nativeDir, dirs: dirs() });
    report(c, say);
    const missing = cudaMissing(c);
    const summary = { ready: !missing, missing: missing ?? null, providers: c.providers, libraries: c.libraries, device: c.device };
    say(missing ? `setup-cuda: not ready: ${missing}` : "setup-cuda: ready: --device cuda will load ORT's CUDA execution provider");
    if (args.json) say(JSON.stringify(summary));
    return missing ? 1 : 0;
  },
);
