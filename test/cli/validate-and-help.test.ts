/** `hero-supervisor validate` and `--help` (issue 6): documented exit codes, every command has help. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/hero-supervisor.js';
import { runCli } from './daemon-process.js';

let dir: string;

function io(env: Record<string, string> = {}) {
  const chunks = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, callback) {
        chunks[key] += String(chunk);
        callback();
      },
    });
  return { io: { stdout: sink('stdout'), stderr: sink('stderr'), env }, chunks };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const { io: streams, chunks } = io(env);
  const code = await main(args, streams);
  return { code, ...chunks };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hero-validate-'));
  await writeFile(join(dir, 'good.yaml'), 'scriptTypes: { python: { binary: hero-worker, min: 1, max: 3 } }\n');
  await writeFile(
    join(dir, 'bad.yaml'),
    'scriptTypes: { python: { binary: hero-worker, mxa: 3 } }\nlogging: { level: loud }\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hero-supervisor validate', () => {
  it('exits 0 and summarizes a valid config', async () => {
    const result = await cli(['validate', '-c', join(dir, 'good.yaml')]);

    expect(result).toEqual({
      code: 0,
      stdout: `${join(dir, 'good.yaml')}: valid. 1 script type (python 1-3), 0 service(s), backend embedded.\n`,
      stderr: '',
    });
  });

  it('exits 2 and lists every error of an invalid config', async () => {
    const result = await cli(['validate', '-c', join(dir, 'bad.yaml')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `Invalid config ${join(dir, 'bad.yaml')} (2 errors):\n` +
        '  - scriptTypes.python.mxa: unknown key; did you mean `max`?\n' +
        '  - logging.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud" (string)\n',
    );
  });

  it('exits 2 for a missing file', async () => {
    const result = await cli(['validate', '-c', join(dir, 'missing.yaml')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`Cannot read config file ${join(dir, 'missing.yaml')}: no such file.\n`);
  });

  it('exits 2 without -c', async () => {
    const result = await cli(['validate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: required option '-c, --config <file>' not specified");
  });

  it('gives the same exit codes as the installed binary', async () => {
    const [good, bad] = await Promise.all([
      runCli(['validate', '-c', join(dir, 'good.yaml')]),
      runCli(['validate', '-c', join(dir, 'bad.yaml')]),
    ]);

    expect([good.code, bad.code]).toEqual([0, 2]);
  });
});

describe('hero-supervisor --help', () => {
  it.each(['run', 'validate', 'demo', 'visualize', 'status', 'scale', 'restart', 'stop', 'logs'])(
    'documents `%s` and the exit codes',
    async (command) => {
      const result = await cli([command, '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: hero-supervisor ${command}`);
      expect(result.stdout).toContain('3  daemon unreachable');
    },
  );

  it('lists every command at the top level', async () => {
    const result = await cli(['--help']);

    for (const command of ['run', 'validate', 'demo', 'visualize', 'status', 'scale', 'restart', 'stop', 'logs']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('exits 2 for an unknown command', async () => {
    const result = await cli(['frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'frobnicate'");
  });
});
