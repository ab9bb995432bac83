// The sandboxed code executor for Absolute Zero. See README.md in this folder for what is
// guaranteed by which layer.

export * from "./types.ts";
export { createPythonExecutor, defaultPoolSize, resolveLimits } from "./python.ts";
export { RuntimePool, type Runtime } from "./pool.ts";
export { hasNetworkNamespace } from "./isolation.ts";
