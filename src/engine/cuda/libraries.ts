// What ORT's CUDA execution provider needs on this machine, and where it was found:
//   - the two provider libraries next to onnxruntime-node's binding (libonnxruntime_providers_shared.so,
//     libonnxruntime_providers_cuda.so; `bun run setup-cuda` puts them there);
//   - the CUDA libraries the provider links against (its DT_NEEDED: cuBLAS, cuBLASLt, cuRAND, cudart,
//     the driver's libcuda) and cuDNN, which ORT opens at run time;
//   - an NVIDIA device.
// CUDA libraries are looked for through the usual mechanisms: LD_LIBRARY_PATH, a Python
// environment's nvidia/*/lib folders (pip's nvidia-* packages, as PyTorch installs them), the CUDA
// toolkit and the system's library folders.

import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readDynamic } from "./elf.ts";

export const PROVIDER_LIBRARIES = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"] as const;
/** Opened by ORT when a CUDA session starts, so not in the provider's DT_NEEDED. */
export const RUNTIME_OPENED = ["libcudnn.so.9"] as const;
/** The C and C++ runtime: every Linux has them, nothing CUDA-specific to report. */
const SYSTEM = /^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux-[\w-]+)\.so/;

/** Where onnxruntime-node loads its native libraries from (SPZ_ORT_NATIVE_DIR overrides, for tests). */
export function ortNativeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPZ_ORT_NATIVE_DIR) return env.SPZ_ORT_NATIVE_DIR;
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("onnxruntime-node/package.json")), "bin", "napi-v6", process.platform, process.arch);
}

/** The lib folders of a Python environment's nvidia-* packages (site-packages/nvidia/<name>/lib). */
export function pythonNvidiaDirs(python: string): string[] {
  let p: ReturnType<typeof Bun.spawnSync>;
  try {
    p = Bun.spawnSync([python, "-c", "import site, sys; print('\\n'.join(site.getsitepackages() + [site.getusersitepackages()]))"], { stdout: "pipe", stderr: "ignore" });
  } catch {
    return []; // no such Python: nothing of it to search
  }
  if (p.exitCode !== 0 || !p.stdout) return [];
  const out: string[] = [];
  for (const sp of p.stdout.toString().split("\n").filter(Boolean)) {
    const nv = join(sp, "nvidia");
    if (!existsSync(nv)) continue;
    for (const pkg of readdirSync(nv).sort()) {
      const lib = join(nv, pkg, "lib");
      if (existsSync(lib)) out.push(lib);
    }
  }
  return out;
}

/** Folders searched for CUDA libraries, in order, without repeats. */
export function cudaSearchDirs(o: { env?: NodeJS.ProcessEnv; python?: string | null } = {}): string[] {
  const env = o.env ?? process.env;
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    ...(o.python === null ? [] : pythonNvidiaDirs(o.python ?? env.SPZ_PYTHON ?? "python3")),
    ...(env.CUDA_HOME ? [join(env.CUDA_HOME, "lib64")] : []),
    "/usr/local/cuda/lib64",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib/wsl/lib",
  ];
  return [...new Set(dirs)];
}

export interface LibraryFinding {
  name: string;
  /** Where it was found; absent: missing. */
  path?: string;
  /** Who needs it: a provider library's DT_NEEDED, or ORT at run time. */
  neededBy: string;
}

export interface CudaCheck {
  nativeDir: string;
  providers: { name: string; path: string; present: boolean }[];
  /** Empty until the CUDA provider library is present (its DT_NEEDED says what to look for). */
  libraries: LibraryFinding[];
  searched: string[];
  device: { present: boolean; detail: string };
}

export function findLibrary(name: string, dirs: readonly string[]): string | undefined {
  for (const d of dirs) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** An NVIDIA device with its driver: the device node and the driver's version file. */
export function nvidiaDevice(root = "/"): { present: boolean; detail: string } {
  if (!existsSync(join(root, "dev/nvidiactl"))) return { present: false, detail: "no NVIDIA device: /dev/nvidiactl is missing" };
  const version = join(root, "proc/driver/nvidia/version");
  if (!existsSync(version)) return { present: false, detail: "/dev/nvidiactl exists but the NVIDIA driver is not loaded (/proc/driver/nvidia/version is missing)" };
  return { present: true, detail: Bun.file(version).size > 0 ? "NVIDIA driver loaded" : "NVIDIA device present" };
}

export function checkCuda(o: { nativeDir?: string; dirs?: readonly string[]; deviceRoot?: string } = {}): CudaCheck {
  const nativeDir = o.nativeDir ?? ortNativeDir();
  const providers = PROVIDER_LIBRARIES.map((name) => ({ name, path: join(nativeDir, name), present: existsSync(join(nativeDir, name)) }));
  const libraries: LibraryFinding[] = [];
  const cuda = providers.find((p) => p.name === "libonnxruntime_providers_cuda.so")!;
  // Searching asks Python for its site-packages: only worth it once the provider is there.
  const searched = [...(o.dirs ?? (cuda.present ? cudaSearchDirs() : []))];
  if (cuda.present) {
    for (const name of readDynamic(cuda.path).needed) {
      if (SYSTEM.test(name)) continue;
      libraries.push({ name, neededBy: cuda.name, ...withPath(findLibrary(name, searched)) });
    }
    for (const name of RUNTIME_OPENED) libraries.push({ name, neededBy: "onnxruntime (opened at run time)", ...withPath(findLibrary(name, searched)) });
  }
  return { nativeDir, providers, libraries, searched, device: nvidiaDevice(o.deviceRoot) };
}

function withPath(path: string | undefined): { path?: string } {
  return path ? { path } : {};
}

/** One line saying what is missing, or undefined when everything is there. */
export function cudaMissing(c: CudaCheck): string | undefined {
  const providers = c.providers.filter((p) => !p.present).map((p) => p.name);
  if (providers.length) return `CUDA execution provider not installed: ${providers.join(", ")} missing from ${c.nativeDir} (run bun run setup-cuda)`;
  const libs = c.libraries.filter((l) => !l.path).map((l) => l.name);
  if (libs.length) return `CUDA libraries not found: ${libs.join(", ")} (searched LD_LIBRARY_PATH, the Python environment's nvidia/*/lib, /usr/local/cuda/lib64 and the system's lib folders; bun run setup-cuda --check lists them)`;
  if (!c.device.present) return c.device.detail;
  return undefined;
}
