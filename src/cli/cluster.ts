// `bun run cluster`: try the NATS transport on one machine. It starts a private nats-server
// (a free 127.0.0.1 port, JetStream in a temporary folder, a random token) and runs `train` over it
// with every role's replicas as separate processes; the episode log is the one train would write.

import { InputError, defineCommand } from "./args.ts";
import { MODEL_FLAGS, RUN_FLAGS, runSelfPlayCommand, SIM_FLAGS, SIMULATION_BANNER } from "./self-play.ts";
import { startNatsServer } from "../runtime/nats/server.ts";

export const clusterCommand = defineCommand(
  {
    name: "cluster",
    summary: "Run train over NATS on this machine: a private nats-server and separate processes for each replica of generator, predictor and reward.",
    flags: [...MODEL_FLAGS, ...RUN_FLAGS, ...SIM_FLAGS],
    acceptsRunFolder: true,
    examples: [
      "bun run cluster --backend sim --replicas generator=2,predictor=4,reward=2",
      "bun run cluster --task azr --model fixtures/tiny-llama --replicas reward=4 --steps 3",
    ],
  },
  async (args) => {
    for (const f of ["nats-url", "nats-token", "nats-nkey", "nats-tls-ca", "spawn"]) {
      if (args.given.has(f)) throw new InputError(`--${f}: cluster starts its own nats-server and every process; for your own server run train --transport nats --nats-url ...`);
    }
    if (args.given.has("transport") && args.flags.transport !== "nats") throw new InputError(`--transport ${String(args.flags.transport)}: cluster always runs over NATS`);
    const server = await startNatsServer();
    console.log(`cluster: nats-server on ${server.url} (JetStream in ${server.storeDir}, token auth)`);
    args.flags.transport = "nats";
    args.flags["nats-url"] = server.url;
    args.flags.spawn = "all";
    // The token reaches this process's hub and its actor processes through the environment only.
    process.env.SPZ_NATS_TOKEN = server.token;
    delete process.env.SPZ_NATS_NKEY;
    delete process.env.SPZ_NATS_TLS_CA;
    try {
      const backend = args.flags.backend as "model" | "sim";
      return await runSelfPlayCommand(args, { command: "train", backend, ...(backend === "sim" ? { banner: SIMULATION_BANNER } : {}) });
    } finally {
      await server.stop();
    }
  },
);
