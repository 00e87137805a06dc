/** The supervisor's Prometheus metrics (issue 6): the families it promises, fed by events and status reports. */
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/admin/status-report.js';
import { SupervisorMetrics } from '../../src/metrics/supervisor-metrics.js';
import { parsePrometheusText } from './prometheus-text.js';

function report(workers: { name: string; state: string; memoryBytes?: number }[]): StatusReport {
  return {
    daemon: { pid: 1, version: '0.0.0', startedAt: 0, uptimeMs: 0, backend: 'embedded', redisUrl: 'redis://x' },
    sampledAt: 0,
    sampleAgeMs: 0,
    workers: workers.map((worker) => ({
      name: worker.name,
      scriptType: 'python',
      state: worker.state,
      pid: 10,
      startedAt: 0,
      uptimeMs: 1,
      lastJobAt: null,
      restarts: 0,
      consecutivePingFailures: 0,
      reason: null,
      cpuSeconds: 0.5,
      cpuPercent: null,
      memoryBytes: worker.memoryBytes ?? 1024,
    })),
    scriptTypes: [
      {
        name: 'python',
        min: 1,
        max: 4,
        desired: 2,
        running: 2,
        queue: { waiting: 7, prioritized: 1, delayed: 0, active: 2 },
        jobs: { completed: 0, failed: 0 },
      },
    ],
    services: [],
  };
}

describe('SupervisorMetrics', () => {
  it('renders every promised family as valid Prometheus text', async () => {
    const metrics = new SupervisorMetrics();
    metrics.update(
      report([
        { name: 'python_worker_0', state: 'running' },
        { name: 'python_worker_1', state: 'idle' },
      ]),
    );
    metrics.recordRestart('python', 'python_worker_0');
    metrics.recordGiveUp('python', 'python_worker_1');
    metrics.observePing('python', 'ok', 0.004);
    metrics.recordJob('python', 'completed');
    metrics.recordJob('python', 'failed');

    const families = parsePrometheusText(await metrics.render());

    expect(
      [...families.keys()].filter((name) => name.startsWith('hero_') && !name.startsWith('hero_supervisor_')).sort(),
    ).toEqual([
      'hero_jobs_total',
      'hero_ping_latency_seconds',
      'hero_queue_depth',
      'hero_worker_cpu_seconds',
      'hero_worker_give_ups_total',
      'hero_worker_resident_memory_bytes',
      'hero_worker_restarts_total',
      'hero_workers',
    ]);
    expect(families.get('hero_workers')?.samples).toEqual([
      { name: 'hero_workers', labels: { script_type: 'python', state: 'running' }, value: 1 },
      { name: 'hero_workers', labels: { script_type: 'python', state: 'idle' }, value: 1 },
    ]);
    expect(families.get('hero_queue_depth')?.samples.find((sample) => sample.labels.state === 'waiting')?.value).toBe(
      7,
    );
    expect(families.get('hero_ping_latency_seconds')?.type).toBe('histogram');
    expect(
      families
        .get('hero_jobs_total')
        ?.samples.map((sample) => sample.labels.outcome)
        .sort(),
    ).toEqual(['completed', 'failed']);
  });

  it('drops the series of a worker that is gone', async () => {
    const metrics = new SupervisorMetrics({ processMetrics: false });
    metrics.update(
      report([
        { name: 'python_worker_0', state: 'running' },
        { name: 'python_worker_1', state: 'running' },
      ]),
    );
    metrics.update(report([{ name: 'python_worker_0', state: 'running', memoryBytes: 2048 }]));

    const memory = parsePrometheusText(await metrics.render()).get('hero_worker_resident_memory_bytes')?.samples;

    expect(memory).toEqual([
      {
        name: 'hero_worker_resident_memory_bytes',
        labels: { script_type: 'python', worker: 'python_worker_0' },
        value: 2048,
      },
    ]);
  });

  it('keeps two supervisors in one process apart', async () => {
    const first = new SupervisorMetrics({ processMetrics: false });
    const second = new SupervisorMetrics({ processMetrics: false });
    first.recordRestart('python', 'w');

    expect(await second.render()).not.toContain('worker="w"');
  });
});

describe('parsePrometheusText (the test helper)', () => {
  it('rejects a sample of an undeclared metric and a malformed line', () => {
    expect(() => parsePrometheusText('stray_metric 1')).toThrow('sample of an undeclared metric');
    expect(() => parsePrometheusText('# TYPE a gauge\na{b=c} 1')).toThrow('bad labels');
  });
});
