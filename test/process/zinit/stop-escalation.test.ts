/**
 * Stop with escalation over Zinit (issue 12): the order of `stop`, `kill` and the pid polls, and deadlines read from
 * the injected clock, so a test drives a 10 s stop timeout without waiting for it. The steps here stand for Zinit's
 * replies; the same stop runs against the Zinit doubles in zinit-backend.test.ts and the contract.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZinitProtocolError } from '../../../src/errors.js';
import type { Clock } from '../../../src/lifecycle/clock.js';
import type { ProcessEvent } from '../../../src/process/process-events.js';
import { DEFAULT_STOP_TIMEOUT_MS, KILL_CONFIRM_TIMEOUT_MS } from '../../../src/process/process-manager.js';
import { type StopSteps, stopWithEscalation, waitForPidZero } from '../../../src/process/zinit/stop-escalation.js';
import { ZinitProcessManager } from '../../../src/process/zinit/zinit-process-manager.js';
import { withinMs } from '../../../src/within-ms.js';
import { ZinitLegacyDouble } from '../../doubles/zinit-legacy-double.js';
import { isProcessAlive } from '../../helpers/process-alive.js';
import { waitFor } from '../../helpers/wait-for.js';
import { fixtureCommand, uniqueServiceName } from '../process-manager.contract.js';

/** A clock that moves `stepMs` ahead each time it is read: every deadline passes after a few reads. */
function racingClock(stepMs: number): Clock & { reads: number } {
  let now = 0;
  const clock = {
    reads: 0,
    now: () => {
      clock.reads += 1;
      now += stepMs;
      return now;
    },
  };
  return clock;
}

/** Zinit as the steps see it: a process that ends on `stop` (unless stubborn) or on SIGKILL (unless stuck). */
function zinitSteps({ stubborn = false, stuck = false, pid = 77 } = {}): StopSteps & { calls: string[] } {
  let current = pid;
  const calls: string[] = [];
  return {
    calls,
    stop: async () => {
      calls.push('stop');
      if (!stubborn) current = 0;
    },
    signal: async (signal) => {
      calls.push(`kill ${signal}`);
      if (signal === 'SIGKILL' && !stuck) current = 0;
      if (signal === 'SIGINT' && !stubborn) current = 0;
    },
    pid: async () => {
      calls.push('status');
      return current;
    },
  };
}

const request = { service: 'svc', signal: 'SIGTERM', configuredSignal: 'SIGTERM', pid: 77, timeoutMs: 10_000 } as const;

describe('stopWithEscalation', () => {
  it('sends `stop` and returns once the pid is 0, without SIGKILL', async () => {
    const steps = zinitSteps();

    expect(await stopWithEscalation(steps, request, { clock: racingClock(1) })).toBe('graceful');
    expect(steps.calls).toEqual(['stop', 'status']);
  });

  it('sends `kill NAME SIGKILL` when the stop timeout passes on the clock, then waits for pid 0', async () => {
    const steps = zinitSteps({ stubborn: true });
    const clock = racingClock(1_000);

    expect(await stopWithEscalation(steps, request, { clock, pollIntervalMs: 1 })).toBe('killed');
    expect(steps.calls[0]).toBe('stop');
    expect(steps.calls.slice(-2)).toEqual(['kill SIGKILL', 'status']);
    // About one status per clock second until the 10 s timeout: driven by the clock, not by waiting 10 s.
    expect(steps.calls.filter((call) => call === 'status').length).toBeGreaterThanOrEqual(5);
    expect(steps.calls.filter((call) => call === 'status').length).toBeLessThanOrEqual(12);
  });

  it('delivers another signal than the configured one with `kill`, then `stop` for target Down', async () => {
    const steps = zinitSteps();

    await stopWithEscalation(steps, { ...request, signal: 'SIGINT' }, { clock: racingClock(1) });

    expect(steps.calls).toEqual(['kill SIGINT', 'status', 'stop', 'status']);
  });

  it('only sends `stop` when nothing runs, whatever signal was asked for', async () => {
    const steps = zinitSteps({ pid: 0 });

    await stopWithEscalation(steps, { ...request, signal: 'SIGINT', pid: 0 }, { clock: racingClock(1) });

    expect(steps.calls).toEqual(['stop', 'status']);
  });

  it('fails with ZinitProtocolError when even SIGKILL leaves a pid past the confirmation time', async () => {
    const steps = zinitSteps({ stubborn: true, stuck: true });

    const error = await stopWithEscalation(steps, request, { clock: racingClock(1_000), pollIntervalMs: 1 }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(ZinitProtocolError);
    expect((error as Error).message).toBe(
      `Service "svc" still has a pid ${KILL_CONFIRM_TIMEOUT_MS} ms after SIGKILL. Is Zinit responsive?`,
    );
  });
});

describe('waitForPidZero', () => {
  it('is true at once for a gone service (no status) or pid 0, and false once the deadline passed', async () => {
    const clock = racingClock(10);

    expect(await waitForPidZero(async () => undefined, 0, { clock })).toBe(true);
    expect(await waitForPidZero(async () => 0, 0, { clock })).toBe(true);
    expect(await waitForPidZero(async () => 5, clock.now() + 25, { clock, pollIntervalMs: 1 })).toBe(false);
  });
});

describe('ZinitProcessManager on an injected clock', () => {
  let double: ZinitLegacyDouble;
  let manager: ZinitProcessManager;

  beforeEach(async () => {
    double = await ZinitLegacyDouble.start();
  });

  afterEach(async () => {
    await manager?.close();
    await double.close();
  });

  it('escalates a stop with the default 10 s timeout as soon as the clock says the time is up', async () => {
    // Each read of this clock is 2 s later: the default stop timeout passes after a few status polls.
    const clock = racingClock(2_000);
    manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir: double.configDir, clock });
    const events: ProcessEvent[] = [];
    manager.subscribe((event) => events.push(event));
    const name = uniqueServiceName();
    const ready = join(double.configDir, '..', `ready-${name}`);
    await manager.ensureService({ name, command: fixtureCommand('ignores-sigterm.js', ready) });
    await manager.start(name);
    const pid = Number(
      await waitFor(() => (existsSync(ready) ? readFileSync(ready, 'utf8') : undefined), { description: 'ready' }),
    );

    // Far less than DEFAULT_STOP_TIMEOUT_MS of real time: the deadline is on the injected clock.
    const stopped = await withinMs(
      manager.stop(name).then(() => true),
      DEFAULT_STOP_TIMEOUT_MS / 2,
    );

    expect(stopped).toBe(true);
    expect(isProcessAlive(pid)).toBe(false);
    expect(double.requests).toContain(`kill ${name} SIGKILL\n`);
    // Event timestamps come from the same clock.
    const exitedAt = events.find((event) => event.type === 'process.exited' && event.service === name)?.at ?? -1;
    expect(exitedAt).toBeGreaterThan(0);
    expect(exitedAt).toBeLessThanOrEqual(clock.reads * 2_000);
    expect(exitedAt % 2_000).toBe(0);
  });
});
