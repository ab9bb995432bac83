// Connecting to NATS with the run's credentials: a token, an NKey seed file, or neither (a server
// without authorization), optionally over TLS with a CA file. Failures are one line naming the URL
// and what to check. Reconnects never give up: a connection lost for a few seconds comes back and
// the JetStream links (link.ts) deliver what was sent meanwhile.

import { readFileSync } from "node:fs";
import { connect, nkeyAuthenticator, tokenAuthenticator, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";

export interface NatsSettings {
  url: string;
  /** Shared secret of a server with `authorization { token: ... }`. */
  token?: string;
  /** Path of an NKey seed file (SU...), for a server with `authorization { users: [{ nkey: U... }] }`. */
  nkeyFile?: string;
  /** CA certificate (PEM) to verify the server's TLS certificate; implies TLS. */
  tlsCa?: string;
}

/** A bad URL, missing credentials or an unreachable server: a one-line, user-facing error. */
export class NatsConnectError extends Error {
  override name = "NatsConnectError";
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The server could not be reached (it may come back); false: bad settings or refused credentials. */
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** The settings a spawned actor process inherits (credentials travel in the environment, never argv). */
export function natsEnv(s: NatsSettings): Record<string, string> {
  return {
    SPZ_NATS_URL: s.url,
    ...(s.token ? { SPZ_NATS_TOKEN: s.token } : {}),
    ...(s.nkeyFile ? { SPZ_NATS_NKEY: s.nkeyFile } : {}),
    ...(s.tlsCa ? { SPZ_NATS_TLS_CA: s.tlsCa } : {}),
  };
}

/** Flags first, then SPZ_NATS_* from the environment. */
export function natsSettings(flags: { url?: string; token?: string; nkeyFile?: string; tlsCa?: string }, env: NodeJS.ProcessEnv = process.env): NatsSettings {
  const url = flags.url ?? env.SPZ_NATS_URL;
  if (!url) throw new NatsConnectError("--nats-url is required for the NATS transport (e.g. --nats-url nats://127.0.0.1:4222, or SPZ_NATS_URL)");
  if (!/^(nats|tls):\/\/[^\s/]+$/.test(url)) throw new NatsConnectError(`--nats-url ${url}: expected nats://host:port or tls://host:port`);
  const token = flags.token ?? env.SPZ_NATS_TOKEN;
  const nkeyFile = flags.nkeyFile ?? env.SPZ_NATS_NKEY;
  const tlsCa = flags.tlsCa ?? env.SPZ_NATS_TLS_CA;
  if (token && nkeyFile) throw new NatsConnectError("give either a NATS token or an NKey seed, not both");
  return { url, ...(token ? { token } : {}), ...(nkeyFile ? { nkeyFile } : {}), ...(tlsCa ? { tlsCa } : {}) };
}

function readOrFail(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new NatsConnectError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

export async function connectNats(s: NatsSettings, name: string): Promise<NatsConnection> {
  const opts: NodeConnectionOptions = {
    servers: s.url.replace(/^tls:/, "nats:"),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5_000,
    timeout: 5_000,
  };
  if (s.token) opts.authenticator = tokenAuthenticator(s.token);
  if (s.nkeyFile) {
    const seed = readOrFail(s.nkeyFile, "NKey seed file").trim();
    if (!/^SU[A-Z2-7]+$/.test(seed)) throw new NatsConnectError(`NKey seed file ${s.nkeyFile}: expected a user seed (SU...)`);
    opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (s.tlsCa) opts.tls = { ca: readOrFail(s.tlsCa, "TLS CA file") };
  else if (s.url.startsWith("tls:")) opts.tls = {};
  try {
    return await connect(opts);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/authorization|authentication|auth/i.test(msg)) throw new NatsConnectError(`NATS at ${s.url} refused the credentials (${msg.trim()}): check --nats-token or --nats-nkey`);
    throw new NatsConnectError(`cannot connect to NATS at ${s.url}: ${msg.trim()}`, /refused|timeout|ECONN|EHOST|ENOTFOUND|EAI_AGAIN|closed/i.test(msg));
  }
}
