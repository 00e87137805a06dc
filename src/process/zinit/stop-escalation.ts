/**
 * stop() over Zinit, with escalation. Legacy Zinit's `stop` sets target Down, sends the configured stop signal to the
 * process group and never escalates (NOTES §12); JSON-RPC Zinit SIGKILLs the group by itself about 1 s later. Either
 * way the manager polls `status` until the pid is 0, and sends `kill NAME SIGKILL` once the stop timeout has passed.
 * Deadlines are read from the injected clock, so a test can drive them.
 */
import type { Logger } from 'pino';
import { ZinitProtocolError } from '../../errors.js';
import type { Clock } from '../../lifecycle/clock.js';
import { KILL_CONFIRM_TIMEOUT_MS } from '../process-manager.js';

/** How often a stop asks `status` while it waits for pid 0: a stop should not wait a whole poll interval. */
export const STOP_POLL_INTERVAL_MS = 50;

/** The Zinit operations a stop is made of, for one service. */
export interface StopSteps {
  /** Zinit's `stop`: target Down, and the configured stop signal to the group. */
  stop(): Promise<void>;
  /** `kill NAME SIGNAL`; a process that is already gone is not an error. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** The service's pid now; 0 or undefined when no process runs. */
  pid(): Promise<number | undefined>;
}

export interface StopRequest {
  service: string;
  /** The signal asked for. */
  signal: NodeJS.Signals;
  /** The signal Zinit's own `stop` sends (the spec's stopSignal). */
  configuredSignal: NodeJS.Signals;
  /** The pid when the stop began (0: nothing runs). */
  pid: number;
  /** Resolved once, by resolveStopTimeoutMs(). */
  timeoutMs: number;
}

export interface StopTiming {
  clock: Clock;
  /** @defaultValue STOP_POLL_INTERVAL_MS */
  pollIntervalMs?: number;
  /** @defaultValue KILL_CONFIRM_TIMEOUT_MS (declared on the contract) */
  killConfirmMs?: number;
  logger?: Logger | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls the pid until it is 0 or the deadline (a clock time) passes; true when the process is gone. */
export async function waitForPidZero(
  pid: () => Promise<number | undefined>,
  deadline: number,
  { clock, pollIntervalMs = STOP_POLL_INTERVAL_MS }: Pick<StopTiming, 'clock' | 'pollIntervalMs'>,
): Promise<boolean> {
  for (;;) {
    const current = await pid();
    if (current === undefined || current === 0) return true;
    const left = deadline - clock.now();
    if (left <= 0) return false;
    await sleep(Math.min(pollIntervalMs, left));
  }
}

/**
 * Stops one service and resolves once its process is gone: `graceful` when the stop signal was enough, `killed`
 * when SIGKILL was needed. Throws ZinitProtocolError when even SIGKILL left a pid (Zinit not responding).
 */
export async function stopWithEscalation(
  steps: StopSteps,
  request: StopRequest,
  timing: StopTiming,
): Promise<'graceful' | 'killed'> {
  const { clock, killConfirmMs = KILL_CONFIRM_TIMEOUT_MS } = timing;
  const deadline = clock.now() + request.timeoutMs;
  if (request.signal === request.configuredSignal || request.pid === 0) {
    // Legacy returns at once; JSON-RPC blocks about 1 s and SIGKILLs survivors itself.
    await steps.stop();
  } else {
    // Zinit's `stop` always sends the configured signal: deliver the requested one with `kill`, then set target Down
    // with `stop` as soon as the process is gone (before Zinit's 2 s restart sleep ends).
    await steps.signal(request.signal);
    await waitForPidZero(steps.pid, deadline, timing);
    await steps.stop();
  }
  if (await waitForPidZero(steps.pid, deadline, timing)) return 'graceful';
  timing.logger?.warn(
    { service: request.service, timeoutMs: request.timeoutMs },
    'service ignored its stop signal; sending SIGKILL',
  );
  await steps.signal('SIGKILL');
  if (!(await waitForPidZero(steps.pid, clock.now() + killConfirmMs, timing))) {
    throw new ZinitProtocolError(
      `Service "${request.service}" still has a pid ${killConfirmMs} ms after SIGKILL. Is Zinit responsive?`,
    );
  }
  return 'killed';
}
