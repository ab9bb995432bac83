// Preloaded before every test file (bunfig.toml). CI machines are 2 shared cores; worker start-up
// and ORT session builds can take seconds there, so the 5 s default is too tight.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
