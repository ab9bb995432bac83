// Make the CUDA libraries found by checkCuda loadable by ORT's provider without asking the user to
// set LD_LIBRARY_PATH before starting Bun (the dynamic loader reads it only at process start): each
// library is opened by its full path with libc's dlopen (RTLD_NOW | RTLD_GLOBAL), in an order where
// its own dependencies come first, and the provider's later dlopen finds them already loaded under
// their sonames.

import { CString, dlopen, ptr, type Pointer } from "bun:ffi";
import type { CudaCheck } from "./libraries.ts";

const RTLD_NOW = 0x2;
const RTLD_GLOBAL = 0x100;
const loaded = new Set<string>();

let libc: { open(path: string): boolean; error(): string } | null = null;
function dl() {
  if (libc) return libc;
  const { symbols } = dlopen("libc.so.6", {
    dlopen: { args: ["ptr", "i32"], returns: "ptr" },
    dlerror: { args: [], returns: "ptr" },
  });
  libc = {
    open(path) {
      const bytes = Buffer.from(`${path}\0`, "utf8");
      return symbols.dlopen(ptr(bytes), RTLD_NOW | RTLD_GLOBAL) !== null;
    },
    error() {
      const e = symbols.dlerror() as Pointer | null;
      return e ? new CString(e).toString() : "unknown error";
    },
  };
  return libc;
}

/** Opens every found CUDA library; returns the paths opened by this call, throws naming any that would not open. */
export function preloadCudaLibraries(c: CudaCheck): string[] {
  let left = c.libraries.filter((l) => l.path && !loaded.has(l.path)).map((l) => l.path!);
  const opened: string[] = [];
  const errors = new Map<string, string>();
  // A library whose dependencies are not open yet fails; another pass opens it once they are.
  while (left.length) {
    const next: string[] = [];
    for (const path of left) {
      if (dl().open(path)) {
        loaded.add(path);
        opened.push(path);
      } else {
        errors.set(path, dl().error());
        next.push(path);
      }
    }
    if (next.length === left.length) throw new Error(`cannot load ${next.map((p) => `${p} (${errors.get(p)})`).join(", ")}`);
    left = next;
  }
  return opened;
}
