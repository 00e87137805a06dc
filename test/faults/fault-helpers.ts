/**
 * Shared helpers of the fault-injection suite (issue 8): the size knob, the loss report every scenario prints, fixture
 * paths and process probes. Sizes default to what fits CI (two shared cores, the whole suite in a few minutes);
 * `HERO_FAULT_SCALE=10 npx vitest run test/faults` runs every scenario ten times bigger.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, pino } from 'pino';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import type { WorkerLifecycleManager } from '../../src/lifecycle/worker-lifecycle-manager.js';
import { WorkerLifecycleManagerBuilder } from '../../src/lifecycle/worker-lifecycle-manager-builder.js';
import type { ProcessManager } from '../../src/process/process-manager.js';
import { isProcessAlive } from '../helpers/process-alive.js';
import { waitFor } from '../helpers/wait-for.js';

/** Multiplier of every count in the suite (jobs, kills, workers, fuzz runs). @defaultValue 1 */
export function faultScale(): number {
  const raw = process.env.HERO_FAULT_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new Error(`Expected HERO_FAULT_SCALE to be a positive number, got ${JSON.stringify(raw)}.`);
  }
  return scale;
}

/** `base × HERO_FAULT_SCALE`, rounded, at least `min`. */
export function scaled(base: number, min = 1): number {
  return Math.max(min, Math.round(base * faultScale()));
}

/**
 * Prints what a scenario measured (`[fault 1] jobs=1000 completed=1000 lost=0 ...`) and, when HERO_FAULT_REPORT names a
 * file, appends it there as one JSON line (for the table in test/faults/README.md).
 */
export function reportCounts(scenario: string, counts: Readonly<Record<string, number | string | boolean>>): void {
  const line = Object.entries(counts)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  console.log(`[fault ${scenario}] scale=${faultScale()} ${line}`);
  const file = process.env.HERO_FAULT_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ scenario, scale: faultScale(), ...counts })}\n`);
}

const WORKER_FIXTURES = fileURLToPath(new URL('../fixtures/workers/', import.meta.url));
const FAULT_FIXTURES = fileURLToPath(new URL('../fixtures/faults/', import.meta.url));

/** Absolute path of a fixture in test/fixtures/workers/. */
export function workerFixture(name: string): string {
  return join(WORKER_FIXTURES, name);
}

/** Absolute path of a fixture in test/fixtures/faults/. */
export function faultFixture(name: string): string {
  return join(FAULT_FIXTURES, name);
}

/** The built hero-worker binary (`npm run build` first). */
export const HERO_WORKER = fileURLToPath(new URL('../../dist/src/cli/hero-worker.js', import.meta.url));
/** The built hero-supervisor binary (`npm run build` first). */
export const HERO_SUPERVISOR = fileURLToPath(new URL('../../dist/src/cli/hero-supervisor.js', import.meta.url));

/** The pids among `pids` that still run (zombies count as gone). */
export function alivePids(pids: Iterable<number>): number[] {
  return [...new Set(pids)].filter((pid) => pid > 0 && isProcessAlive(pid));
}

/** Kills whatever is left of `pids` (cleanup after a failed assertion; never part of what a test asserts). */
export function killLeftovers(pids: Iterable<number>): void {
  for (const pid of alivePids(pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** A real `hero-worker` process started by a fault test. */
export interface HeroWorkerProcess {
  readonly workerId: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  /** True once it logged that it consumes its queues (pings are answered from then on). */
  isReady(): boolean;
  /** Ends it now (SIGKILL unless told otherwise) and resolves once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface HeroWorkerOptions {
  workerId: string;
  redisUrl: string;
  prefix: string;
  /** @defaultValue 'python' */
  scriptType?: string;
  /** `--interpreter` argv as one string, for script types without a built-in one. */
  interpreter?: string;
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts `node dist/src/cli/hero-worker.js ...` (build first). Its readiness shows as its `consuming` log line. */
export function spawnHeroWorker(options: HeroWorkerOptions): HeroWorkerProcess {
  const args = [
    HERO_WORKER,
    '--script-type',
    options.scriptType ?? 'python',
    '--worker-id',
    options.workerId,
    '--redis-url',
    options.redisUrl,
    '--prefix',
    options.prefix,
    ...(options.interpreter === undefined ? [] : ['--interpreter', options.interpreter]),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: options.env ?? process.env,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Keep the tail only: a long run logs a lot.
    stderr = (stderr + chunk).slice(-200_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    workerId: options.workerId,
    child,
    pid: child.pid ?? 0,
    exited,
    stderr: () => stderr,
    isReady: () => stderr.includes('"msg":"consuming"'),
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * A WorkerConfig running the built hero-worker for `scriptType` (`{workerId}` and `{redisUrl}` filled per instance).
 * `interpreter` is hero-worker's `--interpreter` (e.g. `sh` for cheap scripts under load).
 */
export function heroWorkerConfig(name: string, scriptType: string, prefix: string, interpreter?: string): WorkerConfig {
  return new WorkerConfig(name, process.execPath, scriptType).withArgs([
    HERO_WORKER,
    '--script-type',
    scriptType,
    '--worker-id',
    '{workerId}',
    '--redis-url',
    '{redisUrl}',
    '--prefix',
    prefix,
    '--log-level',
    'warn',
    ...(interpreter === undefined ? [] : ['--interpreter', interpreter]),
  ]);
}

export interface FleetOptions {
  processes: ProcessManager;
  redisUrl: string;
  prefix: string;
  scriptType: string;
  count: number;
  interpreter?: string;
  settings?: Partial<WorkerSettings>;
  logger?: Logger;
  stopTimeoutMs?: number;
}

/** A lifecycle manager running `count` hero-workers named `<scriptType>_worker_<n>` (not started yet). */
export function buildFleet(options: FleetOptions): WorkerLifecycleManager {
  const builder = new WorkerLifecycleManagerBuilder(options.processes)
    .withRedis(options.redisUrl, { prefix: options.prefix })
    .withLogger(options.logger ?? pino({ level: 'silent' }))
    .withStopTimeout(options.stopTimeoutMs ?? 5_000)
    .withSettings({
      // Random kills are the point: never give up on a worker because of them, restart fast.
      maxRestarts: 10_000,
      backoffBaseMs: 50,
      backoffMaxMs: 500,
      startTimeoutMs: 30_000,
      ...options.settings,
    });
  const template = heroWorkerConfig(
    `${options.scriptType}_worker_0`,
    options.scriptType,
    options.prefix,
    options.interpreter,
  );
  for (let index = 0; index < options.count; index += 1) {
    builder.addWorker(template.copyAs(`${options.scriptType}_worker_${index}`));
  }
  return builder.build();
}

/** A `hero-supervisor run -c <config>` process started by a fault test. */
export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** Resolves once it logged "supervisor running"; rejects (with its stderr) if it exits first. */
  running(timeoutMs?: number): Promise<void>;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code once it is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built daemon on `configPath` with a clean environment (no HERO_* or REDIS_URL of the test run). */
export function spawnDaemon(
  configPath: string,
  env: Record<string, string> = {},
  { logFile }: { logFile?: string } = {},
): DaemonProcess {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('HERO_') && key !== 'REDIS_URL') clean[key] = value;
  }
  // With `logFile`, stderr goes straight to a file: a busy test process reading a pipe would otherwise slow the
  // daemon down (writes to a full pipe block), which is not what a load test means to measure.
  const logFd = logFile === undefined ? undefined : openSync(logFile, 'a');
  const child = spawn(process.execPath, [HERO_SUPERVISOR, 'run', '-c', configPath], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'ignore', logFd ?? 'pipe'],
  });
  if (logFd !== undefined) closeSync(logFd);
  let piped = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    piped += chunk;
  });
  const readStderr = () => (logFile === undefined ? piped : readFileSync(logFile, 'utf8'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid ?? 0,
    exited,
    stderr: readStderr,
    running: async (timeoutMs = 30_000) => {
      await waitFor(
        () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(
              `the daemon exited (${child.exitCode ?? child.signalCode}) before running:\n${readStderr()}`,
            );
          }
          return readStderr().includes('"msg":"supervisor running"');
        },
        { timeoutMs, description: 'the daemon to log "supervisor running"' },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n--- daemon stderr ---\n${readStderr().slice(-4000)}`);
      });
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Pids of live processes whose argv contains every one of `needles` (read from /proc: Linux only). */
export function processesMatching(...needles: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (needles.every((needle) => argv.includes(needle)) && isProcessAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // Gone while listing.
    }
  }
  return pids;
}

/** How long one cleanup step may take before the next runs anyway: a hung close must not leak the rest. */
const CLEANUP_STEP_TIMEOUT_MS = 20_000;

/**
 * Runs cleanup steps in order, each bounded by its own timeout (CLEANUP_STEP_TIMEOUT_MS by default), each failure or hang reported and the next
 * step run anyway (so processes and servers are always ended). Resolves with the names of the steps that hung or
 * failed, for a test that wants to assert on them.
 */
export async function cleanUp(steps: readonly [string, () => unknown, number?][]): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, step, timeoutMs = CLEANUP_STEP_TIMEOUT_MS] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      Promise.resolve()
        .then(step)
        .then(
          () => 'ok',
          (error: Error) => `failed: ${error.message}`,
        ),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`hung for ${timeoutMs} ms`), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ok') {
      problems.push(`${name}: ${outcome}`);
      console.warn(`[fault cleanup] ${name}: ${outcome}`);
    }
  }
  return problems;
}
