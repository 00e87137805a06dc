/**
 * How the bundled worker is launched: by this Node.js, with the flags that keep a fork per job cheap
 * (src/bench/README.md, `dispatch`), then its script. The flags must be ones Node accepts: a bad one would stop every
 * worker from starting.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundledWorkerPath, WORKER_NODE_FLAGS, workerCommand } from '../../src/daemon/hero-worker-binary.js';

describe('the bundled worker command', () => {
  it('is this Node.js with the worker flags, then the bundled script', () => {
    const { binaryPath, prefixArgs } = workerCommand('hero-worker');
    expect(binaryPath).toBe(process.execPath);
    expect(prefixArgs).toEqual([...WORKER_NODE_FLAGS, bundledWorkerPath()]);
    expect(WORKER_NODE_FLAGS).toEqual(['--max-semi-space-size=1', '--v8-pool-size=1']);
  });

  it('uses flags this Node.js accepts, and they take effect', () => {
    // Garbage that survives a while, as a busy worker's replies do: without the flag the young generation grows to
    // 32 MB (two 16 MB semi-spaces); with it, to 2 MB at most.
    const churn =
      'let kept = []; for (let i = 0; i < 3e6; i++) { kept.push({ i }); if (kept.length > 2e5) kept = []; }' +
      "console.log(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)";
    const probe = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', churn], { encoding: 'utf8' });
    expect(probe.stderr).toBe('');
    expect(probe.status).toBe(0);
    expect(Number(probe.stdout)).toBeGreaterThan(0);
    expect(Number(probe.stdout)).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('runs any other binary as written, with no flags', () => {
    expect(workerCommand('/usr/local/bin/osis_worker')).toEqual({
      binaryPath: '/usr/local/bin/osis_worker',
      prefixArgs: [],
    });
  });
});
