// Entry helper for actor workers: serve the actor on the worker's own port. A failure crashes the
// worker for real, so the hub's supervision sees exactly what a bug would produce.

import type { ActorId } from "../protocol/messages.ts";
import { serveActor, type ActorFactory } from "./host.ts";
import { selfPort } from "./port.ts";

export function serveWorker(actorId: ActorId, factory: ActorFactory): void {
  serveActor(actorId, factory, selfPort(), {
    die(error) {
      setTimeout(() => {
        throw error;
      });
    },
    exit() {
      process.exit(1);
    },
  });
}
