/**
 * Smoke test of `npm run bench` (issue 7): every figure runs with `--smoke` (tiny sizes) against the test run's
 * Redis and prints well-formed JSON lines. No timing is asserted: speed is the benchmark's business, not the suite's.
 * Runs the compiled runner, so `npm run build` must have run (npm test's pretest does it).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const RUNNER = fileURLToPath(new URL('../../dist/src/bench/run.js', import.meta.url));
/** Every figure prints at least one line whose name starts with the figure's name. */
const FIGURES = ['recovery', 'ping', 'dispatch', 'autoscale', 'scale', 'zinit'];
/** The smoke run takes ~30 s on two shared cores; this bounds a hang, it is not a speed check. */
const SMOKE_TIMEOUT_MS = 180_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], {
      env: { ...process.env, REDIS_URL: inject('redisUrl') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench -- --smoke', () => {
  it(
    'prints one well-formed JSON line per measurement for every figure and exits 0',
    async () => {
      const run = await runBench(['--smoke']);

      const lines = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(run.code, run.stderr.slice(-4000)).toBe(0);
      for (const line of lines) {
        expect(Object.keys(line)).toEqual([
          'name',
          'value',
          'unit',
          'baseline',
          'baselineValue',
          'ratio',
          'runs',
          'notes',
        ]);
        expect(line).toMatchObject({
          name: expect.any(String),
          unit: expect.any(String),
          baseline: expect.any(String),
          runs: expect.any(Number),
          notes: expect.any(String),
        });
        expect(typeof line.value === 'number' || line.value === null).toBe(true);
        expect(typeof line.baselineValue === 'number' || line.baselineValue === null).toBe(true);
        expect(String(line.notes)).not.toMatch(/^failed:/);
      }
      const names = lines.map((line) => String(line.name));
      for (const figure of FIGURES) {
        expect(
          names.some((name) => name === figure || name.startsWith(`${figure}.`)),
          figure,
        ).toBe(true);
      }
    },
    SMOKE_TIMEOUT_MS,
  );

  it('refuses an unknown figure and names the known ones', async () => {
    const run = await runBench(['--only', 'nonsense']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'Expected `--only` to name figures among recovery, ping, dispatch, autoscale, scale, zinit',
    );
  });
});
