/** What the dashboard keeps of the lifecycle manager's events (issue 15), fed by the manager's own emitter. */
import { describe, expect, it } from 'vitest';
import { DashboardActivity } from '../../../src/admin/dashboard/dashboard-activity.js';
import { LifecycleEvents } from '../../../src/lifecycle/lifecycle-events.js';

describe('DashboardActivity', () => {
  it('keeps restarts, scale decisions and give-ups as lines for people, and counts restarts per sample', () => {
    const events = new LifecycleEvents();
    const activity = new DashboardActivity(events);
    const seen: string[] = [];
    activity.subscribe((change) => {
      if (change.activity !== undefined) seen.push(change.activity.kind);
    });
    events.emit('scaler:scaled', {
      scriptType: 'python',
      from: 1,
      to: 3,
      reason: 'autoscale-up',
      detail: 'queue depth 25',
      at: 1,
    });
    events.emit('worker:restarted', {
      worker: 'python_worker_0',
      scriptType: 'python',
      restarts: 2,
      reason: 'killed by SIGKILL',
      at: 2,
    });
    events.emit('worker:gaveUp', {
      worker: 'python_worker_0',
      scriptType: 'python',
      reason: 'restart-intensity',
      at: 3,
    });
    expect(activity.recent().map((entry) => [entry.text, entry.reason])).toEqual([
      ['python 1 → 3 (autoscale-up)', 'queue depth 25'],
      ['python_worker_0 restarted (restart 2)', 'killed by SIGKILL'],
      ['python_worker_0 gave up', 'restart-intensity'],
    ]);
    expect(seen).toEqual(['scale', 'restart', 'gave-up']);
    expect(activity.takeRestarts()).toBe(1);
    expect(activity.takeRestarts()).toBe(0);
  });

  it('keeps each worker’s transitions with their events, and a backend lost and restored', () => {
    const events = new LifecycleEvents();
    let backendListener:
      | ((event: { type: 'backend.unavailable' | 'backend.restored'; at: number }) => void)
      | undefined;
    const activity = new DashboardActivity(events, {
      subscribeBackend: (listener) => {
        backendListener = listener;
        return () => {};
      },
    });
    const base = { worker: 'python_worker_1', scriptType: 'python', pid: 42, at: 5 };
    events.emit('worker:stateChanged', {
      ...base,
      from: 'running',
      to: 'failed',
      reason: 'exited with code 1',
      event: 'process.exited',
    });
    events.emit('worker:stateChanged', { ...base, from: 'failed', to: 'restarting', reason: 'exited with code 1' });
    expect(activity.transitionsOf('python_worker_1')).toEqual([
      { at: 5, from: 'running', to: 'failed', event: 'process.exited', reason: 'exited with code 1', pid: 42 },
      { at: 5, from: 'failed', to: 'restarting', event: null, reason: 'exited with code 1', pid: 42 },
    ]);
    expect(activity.transitionsOf('python_worker_9')).toEqual([]);
    backendListener?.({ type: 'backend.unavailable', at: 6 });
    backendListener?.({ type: 'backend.restored', at: 7 });
    expect(activity.recent().map((entry) => entry.kind)).toEqual(['backend-lost', 'backend-restored']);
    activity.close();
    events.emit('worker:restarted', { worker: 'x', scriptType: 'python', restarts: 1, reason: null, at: 8 });
    expect(activity.recent()).toHaveLength(2);
  });

  it('lists Redis becoming unreachable and reachable again, once per change', () => {
    const activity = new DashboardActivity(new LifecycleEvents());
    activity.noteRedis(true, 1);
    activity.noteRedis(true, 2);
    activity.noteRedis(false, 3);
    activity.noteRedis(false, 4);
    activity.noteRedis(true, 5);
    expect(activity.recent().map((entry) => [entry.kind, entry.at])).toEqual([
      ['redis-lost', 3],
      ['redis-restored', 5],
    ]);
  });
});
