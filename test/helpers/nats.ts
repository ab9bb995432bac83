// A private nats-server for a test file (src/runtime/nats/server.ts), or the reason there is none.
import { afterAll, beforeAll } from "bun:test";
import { natsServerBinary, startNatsServer, type LocalNatsServer } from "../../src/runtime/nats/server.ts";

/** Why NATS tests cannot run here, or null. .ci/run installs Debian's nats-server. */
export function natsMissing(): string | null {
  return natsServerBinary() ? null : "nats-server is not installed (apt-get install nats-server): NATS tests skipped";
}

export async function natsServer(o: Parameters<typeof startNatsServer>[0] = {}): Promise<LocalNatsServer> {
  return startNatsServer(o);
}

/**
 * A server for the whole test file: started before its tests, stopped after them, with the skip
 * reason printed when nats-server is missing. `get()` is the running server.
 */
export function natsForFile(o: Parameters<typeof startNatsServer>[0] = {}): { missing: string | null; get(): LocalNatsServer } {
  const missing = natsMissing();
  if (missing) console.log(missing);
  let server: LocalNatsServer | null = null;
  beforeAll(async () => {
    if (!missing) server = await startNatsServer(o);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    missing,
    get() {
      if (!server) throw new Error("no nats-server for this file");
      return server;
    },
  };
}
