// Issue 5: graceful shutdown on SIGTERM or SIGINT: the workers stop, the supervisor exits, no process survives.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isProcessAlive } from '../helpers/process-alive.js';
import { assertBuilt, HERO_WORKER } from './lifecycle-harness.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/supervise-until-signal.mjs', import.meta.url));

describe('WorkerLifecycleManager signals', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('shuts down on %s and leaves no process behind', async (signal) => {
    assertBuilt();
    const supervisor = spawn(
      process.execPath,
      [FIXTURE, inject('redisUrl'), `test-${randomUUID().slice(0, 8)}`, HERO_WORKER],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child = supervisor;
    const [line] = (await once(createInterface({ input: supervisor.stdout as NodeJS.ReadableStream }), 'line')) as [
      string,
    ];
    const { pids } = JSON.parse(line) as { pids: number[] };
    expect(pids.filter(isProcessAlive)).toHaveLength(2);

    supervisor.kill(signal);
    const [code] = (await once(supervisor, 'exit')) as [number | null];

    expect(code).toBe(0);
    expect(pids.filter(isProcessAlive)).toEqual([]);
  });
});
