// Worker entry point: this thread hosts the learner and nothing else.
import { serveWorker } from "../src/runtime/worker.ts";
import { learnerFactory } from "./index.ts";

serveWorker("learner", learnerFactory);
