/** The background sampler behind `/status` and `/metrics` (issue 8 #11, fault finding F13). */
import { afterEach, describe, expect, it } from 'vitest';
import { PeriodicSampler } from '../../src/metrics/periodic-sampler.js';
import { waitFor } from '../helpers/wait-for.js';

const samplers: PeriodicSampler<unknown>[] = [];
afterEach(() => {
  for (const sampler of samplers.splice(0)) sampler.close();
});

function track<T>(sampler: PeriodicSampler<T>): PeriodicSampler<T> {
  samplers.push(sampler as PeriodicSampler<unknown>);
  return sampler;
}

describe('PeriodicSampler', () => {
  it('has the first sample as soon as start() resolves, stamped when it began', async () => {
    let clock = 1_000;
    const sampler = track(
      new PeriodicSampler({
        sample: async () => {
          clock += 50;
          return 'first';
        },
        intervalMs: 60_000,
        now: () => clock,
      }),
    );

    await sampler.start();

    expect(sampler.latest).toEqual({ value: 'first', sampledAt: 1_000 });
  });

  it('samples again in the background after each interval', async () => {
    let count = 0;
    const sampler = track(new PeriodicSampler({ sample: async () => ++count, intervalMs: 5 }));

    await sampler.start();

    await waitFor(() => (sampler.latest?.value ?? 0) >= 3, { description: 'three samples' });
  });

  it('joins a sample under way instead of starting a second one', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const sampler = track(
      new PeriodicSampler({
        sample: () => {
          calls += 1;
          return new Promise<number>((resolve) => {
            release = () => resolve(calls);
          });
        },
        intervalMs: 60_000,
      }),
    );

    const first = sampler.start();
    const second = sampler.refresh();
    release();

    expect(await Promise.all([first, second])).toEqual([
      expect.objectContaining({ value: 1 }),
      expect.objectContaining({ value: 1 }),
    ]);
    expect(calls).toBe(1);
  });

  it('keeps the previous sample when one fails, and reports the failure', async () => {
    const errors: unknown[] = [];
    let fail = false;
    const sampler = track(
      new PeriodicSampler({
        sample: async () => {
          if (fail) throw new Error('redis away');
          return 'good';
        },
        intervalMs: 60_000,
        onError: (error) => errors.push(error),
      }),
    );
    await sampler.start();
    fail = true;

    await sampler.refresh();

    expect(sampler.latest?.value).toBe('good');
    expect(errors).toEqual([new Error('redis away')]);
  });

  it('takes no sample once closed', async () => {
    let calls = 0;
    const sampler = track(new PeriodicSampler({ sample: async () => ++calls, intervalMs: 60_000 }));
    await sampler.start();

    sampler.close();
    await sampler.refresh();

    expect(calls).toBe(1);
  });
});
