/** The samples behind the dashboard's charts (issue 15): a bounded ring, rates from counter differences. */
import { describe, expect, it } from 'vitest';
import { DashboardHistory } from '../../../src/admin/dashboard/dashboard-history.js';
import { statePathOf } from '../../../src/admin/dashboard/dashboard-view.js';
import { RingBuffer } from '../../../src/admin/dashboard/ring-buffer.js';
import type { StatusReport } from '../../../src/admin/status-report.js';

function status(completed: number, failed: number, states: string[], waiting: number | null = 3): StatusReport {
  return {
    daemon: { pid: 1, version: '0', startedAt: 0, uptimeMs: 0, backend: 'embedded', redisUrl: 'redis://x' },
    sampledAt: null,
    sampleAgeMs: null,
    services: [],
    scriptTypes: [
      {
        name: 'python',
        min: 1,
        max: 4,
        desired: states.length,
        running: 0,
        queue: waiting === null ? null : { waiting, prioritized: 1, delayed: 1, active: 2 },
        jobs: { completed, failed },
      },
    ],
    workers: states.map((state, index) => ({
      name: `python_worker_${index}`,
      scriptType: 'python',
      state,
      pid: null,
      startedAt: null,
      uptimeMs: null,
      lastJobAt: null,
      restarts: 0,
      consecutivePingFailures: 0,
      reason: null,
      cpuSeconds: null,
      cpuPercent: null,
      memoryBytes: null,
    })),
  };
}

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.findLast((n) => n < 5)).toBe(4);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/positive integer, got 0/);
  });
});

describe('DashboardHistory', () => {
  it('computes queue depth, jobs per second, workers per state and restarts per sample', () => {
    const history = new DashboardHistory(10);
    history.record(status(10, 0, ['running', 'running']), 0, 1_000);
    const sample = history.record(status(14, 2, ['running', 'failed']), 1, 3_000);
    expect(sample.queueDepth).toEqual({ python: 5 });
    expect(sample.active).toEqual({ python: 2 });
    expect(sample.jobsPerSecond.python).toBeCloseTo(3);
    expect(sample.workersByState).toEqual({ running: 1, failed: 1 });
    expect(sample.restarts).toBe(1);
  });

  it('reports an unreadable queue as null and keeps only `capacity` samples', () => {
    const history = new DashboardHistory(2);
    for (let i = 0; i < 5; i++) history.record(status(0, 0, [], null), 0, i * 1_000);
    expect(history.samples()).toHaveLength(2);
    expect(history.samples()[1]?.queueDepth).toEqual({ python: null });
  });

  it('counts jobs finished over the last minute', () => {
    const history = new DashboardHistory(200);
    for (let second = 0; second <= 90; second++) history.record(status(second * 2, second, []), 0, second * 1_000);
    expect(history.finishedWithin(60_000)).toEqual({ python: { completed: 120, failed: 60 } });
  });
});

describe('statePathOf', () => {
  it('maps how status shows a give-up to the machine state path', () => {
    expect(statePathOf('failed (gave up)')).toBe('failed.gaveUp');
    expect(statePathOf('running')).toBe('running');
    expect(statePathOf('failed.backingOff')).toBe('failed.backingOff');
  });
});
