// OS-level isolation available on this machine, probed once. A new user + network namespace
// (`unshare -r -n`) leaves the sandbox process with only a loopback interface that is down, so
// even a program that escaped both Python and the JS realm cannot reach the network. Kernels or
// CI runners that forbid unprivileged user namespaces fall back to the JS-level guarantees.

let probed: readonly string[] | undefined;

/** Command prefix that runs a program without network access, or [] where the kernel does not allow it. */
export function isolationPrefix(): readonly string[] {
  if (probed) return probed;
  probed = [];
  try {
    const r = Bun.spawnSync({ cmd: ["unshare", "-r", "-n", "true"], env: {}, stdout: "ignore", stderr: "ignore" });
    if (r.exitCode === 0) probed = ["unshare", "-r", "-n"];
  } catch {
    // no unshare binary
  }
  return probed;
}

/** True when sandbox processes run in their own network namespace. */
export function hasNetworkNamespace(): boolean {
  return isolationPrefix().length > 0;
}
