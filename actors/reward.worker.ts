// Worker entry point: this thread hosts the reward and nothing else.
import { serveWorker } from "../src/runtime/worker.ts";
import { rewardFactory } from "./index.ts";

serveWorker("reward", rewardFactory);
