// The executor contract: what the reward actor and the AZR task code ask of a sandbox, whatever
// runs the programs. Every implementation runs under the contract tests in test/exec/.

/** Per-job resource limits. */
export interface ExecLimits {
  /** Wall time of one job in ms. The program is interrupted at this point and its runtime killed and recreated if it does not stop within `killGraceMs`. */
  timeoutMs: number;
  /** Extra ms after `timeoutMs` before the runtime is killed outright. */
  killGraceMs: number;
  /** Cap on the sandbox's heap in MiB (the WebAssembly memory; the process has a looser OS limit too). */
  memoryMb: number;
  /** Cap on printed output and on the repr of the result, in bytes. */
  outputBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ExecLimits> = Object.freeze({
  timeoutMs: 2000,
  killGraceMs: 1000,
  memoryMb: 256,
  outputBytes: 64 * 1024,
});

/**
 * One unit of work. Programs define a function (`f` unless `entry` says otherwise); `input` is the
 * source of its arguments (`"[1, 2], 3"` runs `f([1, 2], 3)`). `expected`, `a` and `b` are value
 * expressions (usually reprs) evaluated inside the sandbox, never in the host.
 */
export type ExecRequest =
  /** Run f(input); the verdict carries repr(output). */
  | { op: "run"; program: string; input: string; entry?: string }
  /** Run f(input) and compare the result with `expected` by value equality. */
  | { op: "check"; program: string; input: string; expected: string; entry?: string }
  /** Compare two value expressions by value equality (deduction answers). */
  | { op: "compare"; a: string; b: string }
  /** Parse and statically check a program without running it. */
  | { op: "parse"; program: string };

/** Why a job failed. */
export type ExecErrorKind =
  | "syntax" // the program, input or expected value does not parse
  | "banned" // reached a banned module, builtin or attribute (statically or at run time)
  | "exception" // the program raised (RecursionError included)
  | "timeout" // ran past timeoutMs
  | "memory" // hit the memory cap
  | "output_limit" // printed or returned more than outputBytes
  | "unsupported_value" // the result is not a plain value (custom class, cycle, ...)
  | "nondeterministic" // two runs of the same job disagreed (proposal validation)
  | "crashed" // the runtime died for another reason and was recreated
  | "bad_request"; // the request itself is malformed

export interface ExecError {
  kind: ExecErrorKind;
  message: string;
}

interface VerdictBase {
  /** Wall time of the job inside the runtime, ms. Observational only: never feed it into a result. */
  timeMs: number;
  /** What the program printed (bounded by outputBytes). */
  stdout?: string;
}

export interface OkVerdict extends VerdictBase {
  ok: true;
  /** repr() of the result (run, check) or of `a` (compare). Absent for parse. */
  output?: string;
  /** Value equality with `expected` (check) or of `a` and `b` (compare). */
  equal?: boolean;
}

export interface ErrorVerdict extends VerdictBase {
  ok: false;
  error: ExecError;
}

export type Verdict = OkVerdict | ErrorVerdict;

/** Options shared by executors. */
export interface ExecutorOptions {
  /** Runtimes kept warm; jobs beyond this queue. */
  poolSize?: number;
  limits?: Partial<ExecLimits>;
  /** Modules refused on top of the sandbox's own list (see DETERMINISM_BANNED). */
  bannedModules?: readonly string[];
}

/** A pluggable sandbox. Jobs may run concurrently up to the pool size; results come back in request order for batches. */
export interface Executor {
  readonly language: "python" | "javascript";
  readonly limits: Readonly<ExecLimits>;
  run(request: ExecRequest): Promise<Verdict>;
  runBatch(requests: readonly ExecRequest[]): Promise<Verdict[]>;
  /** Counters for benches and logs. */
  stats(): ExecutorStats;
  close(): Promise<void>;
}

export interface ExecutorStats {
  jobs: number;
  /** Runtimes started, the initial ones included. */
  starts: number;
  /** Runtimes killed (time limit, crash). */
  kills: number;
  /** Mean cold start of a runtime in ms. */
  meanStartMs: number;
}

/**
 * Modules AZR refuses in proposals because they make programs nondeterministic or touch the
 * outside world (Absolute Zero, arXiv 2505.03335), on top of the sandbox's own list.
 */
export const DETERMINISM_BANNED: readonly string[] = Object.freeze([
  "random", "_random", "secrets", "uuid", "time", "_time", "datetime", "_datetime", "calendar", "zoneinfo",
  "threading", "multiprocessing", "concurrent", "logging", "hashlib", "_hashlib", "hmac", "bcrypt", "_sha256",
  "_md5", "_sha1", "_sha512", "_sha3", "_blake2", "subprocess", "os", "sys", "locale", "getpass",
]);
