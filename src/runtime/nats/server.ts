// A private nats-server for one machine: Debian's package (apt-get install nats-server), on a free
// 127.0.0.1 port, JetStream in a temporary folder, a random token unless told otherwise. `cluster`
// and the tests start one; a real deployment runs its own server (README: "Over NATS").

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export interface LocalNatsServer {
  url: string;
  port: number;
  /** The token clients need (undefined: an open server). */
  token?: string;
  /** JetStream's storage folder; a restart on the same folder keeps the streams. */
  storeDir: string;
  /** Stop the server (SIGKILL with hard: a crash). */
  stop(opts?: { hard?: boolean; keepStore?: boolean }): Promise<void>;
  /** Start it again on the same port and store (after stop({ keepStore: true })). */
  restart(): Promise<void>;
}

export function natsServerBinary(): string | null {
  const fromPath = Bun.which("nats-server");
  if (fromPath) return fromPath;
  for (const p of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) if (existsSync(p)) return p;
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface NatsServerOptions {
  /** A fixed token, or false for no authorization (default: a random token). */
  token?: string | false;
  /** A user's public NKey (U...): the server admits that key instead of a token. */
  nkeyUser?: string;
  port?: number;
  /** PEM files of the server's TLS certificate and key: clients must connect over TLS. */
  tls?: { cert: string; key: string };
}

export async function startNatsServer(o: NatsServerOptions = {}): Promise<LocalNatsServer> {
  const bin = natsServerBinary();
  if (!bin) throw Object.assign(new Error("nats-server is not installed: apt-get install nats-server (Debian), or put it on PATH"), { exitCode: 2 });
  const port = o.port ?? (await freePort());
  const storeDir = mkdtempSync(join(tmpdir(), "spz-nats-"));
  const token = o.token === false || o.nkeyUser ? undefined : (o.token ?? randomBytes(18).toString("base64url"));
  const auth = o.nkeyUser ? `authorization { users: [ { nkey: ${o.nkeyUser} } ] }` : token ? `authorization { token: "${token}" }` : "";
  const conf = join(storeDir, "server.conf");
  const tls = o.tls ? `tls { cert_file: "${o.tls.cert}", key_file: "${o.tls.key}" }` : "";
  writeFileSync(conf, [`listen: 127.0.0.1:${port}`, `jetstream { store_dir: "${join(storeDir, "js")}" }`, "max_payload: 1048576", auth, tls].join("\n"));
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const launch = async () => {
    // The server's log goes to a file: a pipe nobody reads would block it once full.
    proc = Bun.spawn([bin, "-c", conf, "-l", join(storeDir, "server.log")], { stdout: "ignore", stderr: "ignore" });
    // Ready once the port answers.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) {
        const log = existsSync(join(storeDir, "server.log")) ? readFileSync(join(storeDir, "server.log"), "utf8").trim().split("\n").at(-1) : "";
        throw new Error(`nats-server exited at start (code ${proc.exitCode}): ${log}`);
      }
      const ok = await new Promise<boolean>((resolve) => {
        const sock = Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, open(s) { s.end(); resolve(true); }, connectError() { resolve(false); } } }).catch(() => resolve(false));
        void sock;
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on 127.0.0.1:${port} within 10 s`);
      await Bun.sleep(50);
    }
  };
  await launch();
  return {
    url: `${o.tls ? "tls" : "nats"}://127.0.0.1:${port}`,
    port,
    ...(token ? { token } : {}),
    storeDir,
    async stop(s = {}) {
      const p = proc as ReturnType<typeof Bun.spawn> | null;
      if (p && p.exitCode === null) {
        p.kill(s.hard ? "SIGKILL" : "SIGTERM");
        await p.exited;
      }
      if (!s.keepStore) rmSync(storeDir, { recursive: true, force: true });
    },
    restart: launch,
  };
}
