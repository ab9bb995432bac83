// A private nats-server for a test file (src/runtime/nats/server.ts), or the reason there is none.
import { natsServerBinary, startNatsServer, type LocalNatsServer } from "../../src/runtime/nats/server.ts";

/** Why NATS tests cannot run here, or null. .ci/run installs Debian's nats-server. */
export function natsMissing(): string | null {
  return natsServerBinary() ? null : "nats-server is not installed (apt-get install nats-server): NATS tests skipped";
}

export async function natsServer(o: Parameters<typeof startNatsServer>[0] = {}): Promise<LocalNatsServer> {
  return startNatsServer(o);
}
