/**
 * What the conformance kit runs and how long it waits. The scripts depend on the worker's interpreter: the defaults
 * are Python (`python3`, hero-worker's built-in interpreter for script type `python`); a worker for another
 * interpreter passes its own with `--ok-script`, `--ok-stdout`, `--fail-script` and `--slow-script`.
 */

export interface ConformanceScripts {
  /** Exits 0 and prints `okStdout`. */
  ok: string;
  okStdout: string;
  /** Exits non-zero (writing to stderr). */
  fail: string;
  /** Runs for a minute: the kit kills it by a job timeout, or stops the worker while it runs. */
  slow: string;
}

export interface ConformanceOptions {
  /** The worker's argv; `{workerId}`, `{redisUrl}`, `{scriptType}` and `{prefix}` are filled in. */
  command: readonly string[];
  scriptType: string;
  workerId: string;
  /** Not `hero` on purpose: a worker that ignores `{prefix}` fails. */
  prefix: string;
  /** Every ping must be answered within this. */
  pingBoundMs: number;
  /** The worker must answer its first ping within this after its spawn. */
  startTimeoutMs: number;
  /** After SIGTERM the worker must exit within this (the supervisor SIGKILLs after its own `stopTimeoutMs`). */
  stopTimeoutMs: number;
  /** The health check must exit within this. */
  healthCheckTimeoutMs: number;
  scripts: ConformanceScripts;
  redisServer: string;
}

export const PYTHON_SCRIPTS: ConformanceScripts = {
  ok: 'print(6*7)',
  okStdout: '42\n',
  fail: "import sys\nsys.stderr.write('conformance: failing on purpose\\n')\nsys.exit(3)",
  slow: 'import time\ntime.sleep(60)',
};

export const CONFORMANCE_DEFAULTS: Omit<ConformanceOptions, 'command'> = {
  scriptType: 'python',
  workerId: 'conformance_worker_0',
  prefix: 'conformance',
  pingBoundMs: 1_000,
  startTimeoutMs: 20_000,
  stopTimeoutMs: 15_000,
  healthCheckTimeoutMs: 10_000,
  scripts: PYTHON_SCRIPTS,
  redisServer: 'redis-server',
};

/** The job timeout of the timeout check: short, so the check is quick; the worker must fail the job near it. */
export const TIMEOUT_CHECK_JOB_MS = 1_000;
/** How late past its timeout a job may fail (killing a process group, writing the failure). */
export const TIMEOUT_SLACK_MS = 5_000;
/** How long a finished job may take to show in Redis (a completed or failed state). */
export const JOB_FINISH_BOUND_MS = 30_000;
/**
 * After the worker is gone, a job it held must be back in `wait` or have no lock within this: the spec's lock of
 * 5 s, plus slack.
 */
export const LOCK_RELEASE_BOUND_MS = 7_000;
/** Pings sent by the ping check. */
export const PING_COUNT = 5;
