// Who may join a run over NATS: a server with a token admits only clients with it, one with an
// NKey user only the holder of that seed, one with TLS only clients that verify its certificate.
// A process without the credentials can neither join the run nor read a message of it.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { connectNats } from "../../src/runtime/nats/connect.ts";
import { natsMissing, natsServer } from "../helpers/nats.ts";

setDefaultTimeout(120_000);

const ROOT = join(import.meta.dir, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
const missing = natsMissing();
if (missing) console.log(missing);
const dir = mkdtempSync(join(tmpdir(), "spz-nats-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIM = ["simulate", "--steps", "2", "--passages", "4", "--gen-samples", "2", "--pred-samples", "2", "--chunk", "2"];

let n = 0;
function cli(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SPZ_NATS_")));
  const p = Bun.spawnSync(["bun", MAIN, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...clean, ...env }, timeout: 60_000 });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString().trim() };
}

function simulate(extra: string[], env: Record<string, string> = {}) {
  const run = `a${n++}`;
  const log = join(dir, `${run}.spzlog`);
  return { ...cli([...SIM, ...extra, "--runs-dir", join(dir, "runs"), "--run", run, "--record", log], env), log };
}

describe.skipIf(Boolean(missing))("NATS authentication", () => {
  test("token: a client without it, or with a wrong one, is refused in one line; with it the run writes the in-process log", async () => {
    const server = await natsServer({ token: "right-token" });
    try {
      await expect(connectNats({ url: server.url }, "t")).rejects.toThrow(/refused the credentials/);
      await expect(connectNats({ url: server.url, token: "wrong" }, "t")).rejects.toThrow(/refused the credentials/);
      const refused = cli(["actor", "predictor", "--run", "x", "--nats-url", server.url]);
      expect(refused.code).toBe(2);
      expect(refused.err.split("\n")).toHaveLength(1);
      expect(refused.err).toMatch(/^error: NATS at nats:\/\/127\.0\.0\.1:\d+ refused the credentials .*check --nats-token/);
      const noToken = simulate(["--transport", "nats", "--nats-url", server.url]);
      expect(noToken.code).toBe(2);
      expect(noToken.err).toMatch(/refused the credentials/);
      const ok = simulate(["--transport", "nats", "--nats-url", server.url], { SPZ_NATS_TOKEN: "right-token" });
      expect(ok.code).toBe(0);
      const ref = simulate(["--transport", "inproc"]);
      expect(readFileSync(ok.log).equals(readFileSync(ref.log))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  test("NKey: only the holder of the user's seed connects", async () => {
    const user = nkeys.createUser();
    const seedFile = join(dir, "user.nk");
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
    const otherFile = join(dir, "other.nk");
    writeFileSync(otherFile, new TextDecoder().decode(nkeys.createUser().getSeed()));
    const server = await natsServer({ nkeyUser: user.getPublicKey() });
    try {
      const ok = simulate(["--transport", "nats", "--nats-url", server.url, "--nats-nkey", seedFile]);
      expect({ code: ok.code, err: ok.code ? ok.err : "" }).toEqual({ code: 0, err: "" });
      const other = simulate(["--transport", "nats", "--nats-url", server.url, "--nats-nkey", otherFile]);
      expect(other.code).toBe(2);
      expect(other.err).toMatch(/refused the credentials/);
      await expect(connectNats({ url: server.url }, "t")).rejects.toThrow(/refused the credentials/);
      const badSeed = simulate(["--transport", "nats", "--nats-url", server.url, "--nats-nkey", join(dir, "missing.nk")]);
      expect(badSeed.err).toMatch(/NKey seed file .*missing\.nk: no such file/);
    } finally {
      await server.stop();
    }
  });

  const openssl = Bun.which("openssl");
  test.skipIf(!openssl)("TLS: a client that verifies the server's certificate against the CA runs; one that cannot verify it is refused", async () => {
    const ssl = (...a: string[]) => {
      const p = Bun.spawnSync([openssl!, ...a], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`openssl ${a.join(" ")}: ${p.stderr.toString()}`);
    };
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=spz test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
    const server = await natsServer({ token: "tls-token", tls: { cert: join(dir, "server.pem"), key: join(dir, "server.key") } });
    try {
      expect(server.url).toStartWith("tls://");
      const ok = simulate(["--transport", "nats", "--nats-url", server.url, "--nats-tls-ca", join(dir, "ca.pem")], { SPZ_NATS_TOKEN: "tls-token" });
      expect({ code: ok.code, err: ok.code ? ok.err : "" }).toEqual({ code: 0, err: "" });
      const unverified = simulate(["--transport", "nats", "--nats-url", server.url], { SPZ_NATS_TOKEN: "tls-token" });
      expect(unverified.code).toBe(2);
      expect(unverified.err).toMatch(/cannot connect to NATS at tls:/);
    } finally {
      await server.stop();
    }
  });
});
