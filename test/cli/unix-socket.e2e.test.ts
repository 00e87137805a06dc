/** The admin endpoint on a Unix socket (issue 6): only the daemon's user may connect, and the CLI reaches it. */

import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DaemonUnderTest, runCli, startDaemon } from './daemon-process.js';

const socketPath = join(tmpdir(), `hero-admin-${randomUUID().slice(0, 8)}.sock`);
let daemon: DaemonUnderTest;

beforeAll(async () => {
  daemon = await startDaemon({
    redisUrl: inject('redisUrl'),
    python: '{ binary: hero-worker, min: 1, max: 1 }',
    adminYaml: `{ socketPath: "${socketPath}", token: "{token}" }`,
  });
});

afterAll(async () => {
  await daemon?.stop();
});

describe('admin endpoint on a Unix socket', () => {
  it('is a socket only its owner may use', async () => {
    const info = await stat(socketPath);

    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('answers the CLI found through the config', async () => {
    const result = await runCli(['status', '--json', '-c', daemon.configPath]);

    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { workers: { name: string }[] }).workers.map((worker) => worker.name)).toEqual(
      ['python_worker_0'],
    );
  });

  it('still requires the token', async () => {
    const result = await runCli(['status', '--endpoint', socketPath], { HERO_ADMIN_TOKEN: 'wrong-token' });

    expect(result.code).toBe(4);
  });
});
