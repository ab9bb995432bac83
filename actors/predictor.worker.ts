// Worker entry point: this thread hosts the predictor and nothing else.
import { serveWorker } from "../src/runtime/worker.ts";
import { predictorFactory } from "./index.ts";

serveWorker("predictor", predictorFactory);
