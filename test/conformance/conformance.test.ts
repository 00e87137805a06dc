/**
 * The conformance kit (issue #16) through its bin, with real processes and its own redis-server: hero-worker passes,
 * a worker written from PROTOCOL.md alone (plain bullmq + ioredis) passes, and a worker that breaks the spec fails
 * with a line that says what is wrong.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/conformance/checks.js';
import { HERO_WORKER_BIN } from '../worker/hero-worker-process.js';

const KIT = fileURLToPath(new URL('../../dist/src/cli/hero-worker-conformance.js', import.meta.url));
const SPEC_WORKER = fileURLToPath(new URL('../fixtures/workers/spec-worker.mjs', import.meta.url));
const EXITS_WITH_CODE = fileURLToPath(new URL('../fixtures/workers/exits-with-code.js', import.meta.url));
const PLACEHOLDER_ARGS = ['--worker-id', '{workerId}', '--redis-url', '{redisUrl}', '--prefix', '{prefix}'];

/** A kit run can take ~20 s on a busy machine (a 10 s stop bound at worst, plus starts and timeouts). */
const KIT_RUN_TIMEOUT_MS = 120_000;

function runKit(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  if (!existsSync(KIT)) throw new Error(`${KIT} is missing: run \`npm run build\` first.`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KIT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, lines: stdout.trimEnd().split('\n'), stderr }));
  });
}

const checkLines = (lines: string[]) => lines.filter((line) => /^(PASS|FAIL) /.test(line));

describe('hero-worker-conformance', () => {
  it(
    'passes hero-worker, one PASS line per check, exit 0',
    async () => {
      const { code, lines, stderr } = await runKit([
        '--',
        process.execPath,
        HERO_WORKER_BIN,
        '--script-type',
        '{scriptType}',
        ...PLACEHOLDER_ARGS,
        '--shutdown-timeout',
        '2000',
        '--log-level',
        'warn',
      ]);

      expect({ code, stderr, failed: checkLines(lines).filter((line) => line.startsWith('FAIL')) }).toEqual({
        code: 0,
        stderr: '',
        failed: [],
      });
      expect(checkLines(lines).map((line) => line.slice(5, line.indexOf(':')))).toEqual(
        CHECKS.map((check) => check.name),
      );
      expect(lines.at(-1)).toBe(`conforms: ${CHECKS.length} of ${CHECKS.length} checks passed`);
    },
    KIT_RUN_TIMEOUT_MS,
  );

  it(
    'passes a worker written from the spec alone with plain bullmq and ioredis',
    async () => {
      const { code, lines } = await runKit([process.execPath, SPEC_WORKER, ...PLACEHOLDER_ARGS]);

      expect(checkLines(lines).filter((line) => line.startsWith('FAIL'))).toEqual([]);
      expect(checkLines(lines)).toHaveLength(CHECKS.length);
      expect(lines).toContain('PASS hands back its job on SIGTERM and exits 0: exit 0; its job is back in wait');
      expect(code).toBe(0);
    },
    KIT_RUN_TIMEOUT_MS,
  );

  it(
    'fails a worker whose ping reply has no version, saying so, exit 1',
    async () => {
      const { code, lines } = await runKit([process.execPath, SPEC_WORKER, ...PLACEHOLDER_ARGS], {
        ...process.env,
        SPEC_WORKER_BREAK: 'no-version',
      });

      expect(lines).toContain(
        'FAIL answers pings with a valid reply within the bound: ping reply field `version` is missing (expected a string)',
      );
      expect(lines.at(-1)).toMatch(/^does not conform: \d+ of \d+ checks failed$/);
      expect(code).toBe(1);
    },
    KIT_RUN_TIMEOUT_MS,
  );

  it('fails a worker that does not start, and every check that needs it, with the reason', async () => {
    const { code, lines } = await runKit(['--start-timeout', '3000', '--', process.execPath, EXITS_WITH_CODE, '3']);

    expect(lines.find((line) => line.includes('Redis is reachable'))).toMatch(
      /^FAIL health check exits 0 when Redis is reachable: expected exit 0, got 3; its last output: exiting with code 3/,
    );
    expect(lines.find((line) => line.includes('starts and answers'))).toMatch(
      /^FAIL starts and answers its first ping: exited \(3\) before answering a ping/,
    );
    expect(lines).toContain('FAIL runs a job and returns the result shape: not run: the worker is not running');
    expect(code).toBe(1);
  });

  it('refuses bad usage with exit 2 and a message naming the option', async () => {
    const unknown = await runKit(['--ping-bound', 'soon', '--', 'worker']);
    const missing = await runKit(['--prefix', 'p']);

    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain('Expected --ping-bound to be a positive number of milliseconds, got `soon`.');
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('Missing the worker command');

    const noRedis = await runKit(['--redis-server', '/nonexistent/redis-server', '--', 'worker']);
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toContain('Could not start `/nonexistent/redis-server` for a private Redis');
  });
});
