// Whose fault a ping's outcome is (#12): one pure function decides; the worker machine counts only the worker's.
import { describe, expect, it } from 'vitest';
import type { PingOutcome } from '../../machines/worker.events.js';
import {
  judgePing,
  type PingFacts,
  WORKER_RECONNECT_MAX_DELAY_MS,
  WORKER_STARTUP_ALLOWANCE_MS,
} from '../../src/lifecycle/ping-verdict.js';

const ok: PingOutcome = {
  type: 'ok',
  latencyMs: 2,
  reply: { workerId: 'w', pid: 1, uptimeMs: 1, jobsProcessed: 0, activeJobs: 0, version: '0.1.0' },
};
const timeout: PingOutcome = { type: 'timeout', timeoutMs: 500 };

/** A worker up for an hour that answered before, Redis fine: a failure here is the worker's. */
const facts = (overrides: Partial<PingFacts>): PingFacts => ({
  outcome: timeout,
  timeoutMs: 500,
  redisReachable: true,
  sinceRedisRestoredMs: null,
  upForMs: 3_600_000,
  answeredBefore: true,
  ...overrides,
});

describe('judgePing', () => {
  it('passes an ok ping through', () => {
    expect(judgePing(facts({ outcome: ok, redisReachable: undefined }))).toEqual({ kind: 'ok', outcome: ok });
  });

  it.each<PingOutcome>([
    timeout,
    { type: 'failed', reason: 'no such queue' },
    { type: 'invalid-reply', reason: 'reply of another worker' },
  ])('blames the worker for $type when nothing excuses it', (outcome) => {
    expect(judgePing(facts({ outcome }))).toEqual({ kind: 'worker-fault', outcome });
  });

  it('blames the transport when the port says so, or when Redis does not answer after a failure', () => {
    const down: PingOutcome = { type: 'transport-down', reason: 'ECONNREFUSED' };
    expect(judgePing(facts({ outcome: down, redisReachable: undefined }))).toEqual({
      kind: 'transport-fault',
      outcome: down,
    });
    const verdict = judgePing(facts({ redisReachable: false }));
    expect(verdict.kind).toBe('transport-fault');
    expect(verdict.outcome).toEqual({ type: 'transport-down', reason: 'Redis unreachable after a ping timeout' });
  });

  it('excuses failures while the workers may still be reconnecting after Redis came back', () => {
    const grace = 500 + 2 * WORKER_RECONNECT_MAX_DELAY_MS;
    expect(judgePing(facts({ sinceRedisRestoredMs: grace - 1 })).kind).toBe('reconnect-grace');
    expect(judgePing(facts({ sinceRedisRestoredMs: grace - 1 })).outcome).toEqual({
      type: 'transport-down',
      reason: 'Redis just reconnected, workers may still be reconnecting (timeout)',
    });
    expect(judgePing(facts({ sinceRedisRestoredMs: grace })).kind).toBe('worker-fault');
  });

  it('excuses a fresh worker that has not answered yet, until its start-up allowance ran out', () => {
    const allowance = 500 + WORKER_STARTUP_ALLOWANCE_MS;
    expect(judgePing(facts({ answeredBefore: false, upForMs: allowance - 1 }))).toEqual({
      kind: 'startup-grace',
      outcome: {
        type: 'transport-down',
        reason: `worker up for ${allowance - 1} ms has not answered a ping yet: not counted during its startup (timeout)`,
      },
    });
    expect(judgePing(facts({ answeredBefore: false, upForMs: allowance })).kind).toBe('worker-fault');
    // Once it answered, a failure counts at once; an unknown start time gets no allowance.
    expect(judgePing(facts({ answeredBefore: true, upForMs: 1 })).kind).toBe('worker-fault');
    expect(judgePing(facts({ answeredBefore: false, upForMs: null })).kind).toBe('worker-fault');
  });

  it('puts the transport before the graces: Redis down is the transport even for a fresh worker', () => {
    expect(judgePing(facts({ redisReachable: false, answeredBefore: false, upForMs: 1 })).kind).toBe('transport-fault');
  });
});
