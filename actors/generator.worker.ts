// Worker entry point: this thread hosts the generator and nothing else.
import { serveWorker } from "../src/runtime/worker.ts";
import { generatorFactory } from "./index.ts";

serveWorker("generator", generatorFactory);
