// `bun run actor ROLE`: this machine's processes of one role of a run over NATS. Each one joins
// the run, serves the slot the hub gives it, and is started again when it dies.

import { ACTOR_IDS, isActorId } from "../protocol/messages.ts";
import { REPLICABLE } from "../runtime/routing.ts";
import { superviseRole } from "../runtime/nats/supervisor.ts";
import { checkRunName } from "../runtime/run-dir.ts";
import { defineCommand, InputError } from "./args.ts";
import { NATS_CONNECTION_FLAGS, readNatsSettings } from "./flags/nats.ts";

export const actorCommand = defineCommand(
  {
    name: "actor",
    summary: "Serve one actor role of a run over NATS from this machine: N processes that join the run started with --transport nats, each restarted when it dies.",
    usage: "bun run actor <generator|predictor|reward> --run NAME --nats-url nats://HOST:4222 [--replicas N] [flags]",
    positionals: [{ name: "ROLE", help: `the role to serve: ${REPLICABLE.join(", ")} (the learner runs inside train)`, required: true }],
    flags: [
      { name: "run", type: "string", required: true, help: "the run to join: its name (the folder name under runs/ on the hub's machine)" },
      { name: "replicas", type: "int", min: 1, max: 64, default: 1, help: "processes of this role to keep running on this machine" },
      ...NATS_CONNECTION_FLAGS,
    ],
    examples: [
      "bun run actor predictor --run big --nats-url nats://10.0.0.5:4222 --replicas 4",
      "SPZ_NATS_TOKEN=s3cret bun run actor reward --run big --nats-url nats://10.0.0.5:4222 --replicas 2",
    ],
  },
  async (args) => {
    const role = args.positionals[0]!;
    if (!isActorId(role)) throw new InputError(`unknown role "${role}"; roles: ${ACTOR_IDS.join(", ")}`);
    if (!REPLICABLE.includes(role)) throw new InputError(`the ${role} runs inside the train process that hosts the hub (it owns the model); serve ${REPLICABLE.join(", ")} here`);
    const run = args.flags.run as string;
    checkRunName(run);
    const settings = readNatsSettings(args);
    const count = args.flags.replicas as number;
    const sup = await superviseRole({ role, count, run, settings, say: (l) => console.error(l) });
    console.error(`actor: ${count} ${role} process${count > 1 ? "es" : ""} for run ${run} on ${settings.url}; waiting for its hub`);
    const stop = () => void sup.stop().then(() => process.exit(130));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const code = await sup.done;
    if (code === 0) console.error(`actor: run ${run} ended`);
    return code;
  },
);
