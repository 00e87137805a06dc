/**
 * Redis unreachable at start (issue 8 item 3): the daemon says so clearly, retries with backoff, starts nothing
 * meanwhile, and starts its workers once Redis appears.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, RedisServerProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { type DaemonUnderTest, runCli, startDaemon } from './daemon-process.js';

let daemon: DaemonUnderTest | undefined;
let redis: RedisServerProcess | undefined;

afterEach(async () => {
  await daemon?.stop();
  await redis?.stop();
  daemon = undefined;
  redis = undefined;
});

describe('hero-supervisor run without Redis', () => {
  it('waits for Redis with a clear error, then starts its workers when it appears', async () => {
    const port = await findFreePort();
    daemon = await startDaemon({
      redisUrl: `redis://127.0.0.1:${port}`,
      python: '{ binary: hero-worker, min: 1, max: 1 }',
      waitUntilRunning: false,
    });
    const running = daemon;

    await waitFor(() => running.stderr().includes('redis still unreachable; retrying'), {
      description: 'a second attempt to reach Redis',
      timeoutMs: 20_000,
    });
    const status = await runCli(['status', '-c', running.configPath]);
    redis = await RedisServerProcess.start(port);
    await waitFor(() => running.stderr().includes('"msg":"supervisor running"'), {
      description: 'the daemon to start once Redis is up',
      timeoutMs: 30_000,
    });

    expect(running.stderr()).toContain(
      `cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED); waiting for it. Start redis-server, or fix redis.url in the config`,
    );
    expect(status.code).toBe(3);
    expect(running.stderr()).not.toMatch(/"msg":"service spawned"[\s\S]*redis is reachable/);
    const after = await runCli(['status', '--json', '-c', running.configPath]);
    expect(
      (JSON.parse(after.stdout) as { workers: { state: string }[] }).workers.map((worker) => worker.state),
    ).toEqual(['running']);
  });
});
