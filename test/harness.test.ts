import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';

describe('test harness', () => {
  it('provides a reachable Redis of its own', async () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();

    expect(await redis.ping()).toBe('PONG');

    await redis.quit();
  });
});
