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

describe('validate runs every check run makes (issue 11 item 6)', () => {
  const validate = async (name: string, yaml: string, env: Record<string, string> = {}) => {
    const path = join(dir, name);
    await writeFile(path, yaml);
    return cli(['validate', '-c', path], env);
  };

  it('refuses a stop timeout out of the process manager’s range, for workers and services', async () => {
    const result = await validate(
      'stop-timeout.yaml',
      'scriptTypes: { python: { binary: hero-worker, stopTimeoutMs: 25h } }\nservices: { cache: { command: [sh], stopTimeoutMs: 25h } }\n',
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '  - scriptTypes.python.stopTimeoutMs: Expected `stopTimeoutMs` to be a number of ms between 0 and 86400000, got `90000000` (number).',
    );
    expect(result.stderr).toContain('  - services.cache.stopTimeoutMs: Expected `stopTimeoutMs`');
  });

  it('refuses a binary that is missing, a directory or not executable, each said as such', async () => {
    const plain = join(dir, 'not-executable.sh');
    await writeFile(plain, '#!/bin/sh\n', { mode: 0o644 });
    const result = await validate(
      'binaries.yaml',
      `scriptTypes:\n  python: { binary: ${join(dir, 'missing-worker')} }\n  v: { binary: ${dir} }\n  sal: { binary: ${plain} }\n  osis: { binary: no-such-program-4f1c }\n`,
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `  - scriptTypes.python.binary: cannot run the worker: ${join(dir, 'missing-worker')} does not exist`,
    );
    expect(result.stderr).toContain(
      `  - scriptTypes.v.binary: cannot run the worker: ${dir} is a directory, not a program`,
    );
    if (process.getuid?.() !== 0) {
      expect(result.stderr).toContain(`  - scriptTypes.sal.binary: cannot run the worker: ${plain} is not executable`);
    }
    expect(result.stderr).toContain(
      '  - scriptTypes.osis.binary: cannot run the worker: `no-such-program-4f1c` was not found on the PATH workers get',
    );
    expect(result.stderr).not.toContain('EACCES');
  });

  it('refuses script types the bundled hero-worker cannot run: unknown to it, or without an interpreter', async () => {
    const result = await validate(
      'interpreters.yaml',
      'scriptTypes:\n  ruby: { binary: hero-worker }\n  v: { binary: hero-worker }\n  sal: { binary: hero-worker, args: [--interpreter, sh] }\n',
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(2 errors)');
    expect(result.stderr).toContain(
      '  - scriptTypes.ruby: `binary: hero-worker` runs the script types osis, sal, v, python; "ruby" is none of them.',
    );
    expect(result.stderr).toContain(
      '  - scriptTypes.v.args: hero-worker has no built-in interpreter for "v" (only for python): add `args: [--interpreter, "<command>"]`',
    );
  });

  it('refuses a NUL byte in an env value, without showing a secret one', async () => {
    const result = await validate(
      'nul.yaml',
      'scriptTypes: { python: { binary: hero-worker, env: { A: "x\\0y", B: { value: "hidden-sec\\0ret", secret: true } } } }\n',
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('  - scriptTypes.python.env.A: expected a value without NUL bytes');
    expect(result.stderr).toContain('  - scriptTypes.python.env.B.value: expected a value without NUL bytes');
    expect(result.stderr).not.toContain('hidden-sec');
  });

  it('refuses a HERO_ADMIN_TOKEN shorter than a config token may be', async () => {
    const result = await validate('short-token.yaml', 'scriptTypes: {}\n', { HERO_ADMIN_TOKEN: 'x' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '  - admin.tokenEnv: HERO_ADMIN_TOKEN holds a token of 1 characters; expected at least 16, as for `admin.token`',
    );
  });

  it('refuses a non-loopback admin host unless the config opts in with admin.allowRemote', async () => {
    const refused = await validate('remote.yaml', 'admin: { host: 0.0.0.0 }\n');
    const allowed = await validate('remote-allowed.yaml', 'admin: { host: 0.0.0.0, allowRemote: true }\n');
    const loopback = await validate('loopback.yaml', 'admin: { host: "::1" }\n');

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      '  - admin.host: "0.0.0.0" is not a loopback address: the admin endpoint would be reachable from the network.',
    );
    expect([allowed.code, loopback.code]).toEqual([0, 0]);
  });

  it('refuses a config file above 1 MiB at once, before parsing it', async () => {
    const path = join(dir, 'huge.yaml');
    await writeFile(path, `# ${'x'.repeat(1024 * 1024)}\n`);
    const result = await cli(['validate', '-c', path]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `Invalid config ${path}: ${path} is 1048579 bytes; a config file may be at most 1048576 bytes (1 MiB).\n`,
    );
  });
});

describe('CLI input errors are said in one line (issue 11 item 6)', () => {
  it('replay of a missing file: a clear error and the usage code, no stack trace', async () => {
    const result = await runCli(['replay', join(dir, 'missing.jsonl')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`Cannot read ${join(dir, 'missing.jsonl')}: no such file.\n`);
  });

  it('--endpoint with a scheme other than http: says it is unsupported, exit 2', async () => {
    const result = await cli(['status', '--endpoint', 'ftp://x']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'Unsupported admin endpoint scheme `ftp` in `ftp://x`: expected http://host:port or the absolute path of a Unix socket.\n',
    );
  });
});
