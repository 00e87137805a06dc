/**
 * `npm start` runs to completion inside the suite (issue 6), with the short profile: its own redis-server as a
 * managed dependency, Python jobs on hero-worker, the autoscaler, a SIGKILLed worker coming back, idle workers
 * pinged, a summary and a clean shutdown. Not a TTY here, so the output must be plain lines.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, runCli } from '../cli/daemon-process.js';
import { waitFor } from '../helpers/wait-for.js';

describe('hero-supervisor demo (what npm start runs)', () => {
  it('runs the whole story to completion with the short profile and leaves nothing running', async () => {
    const result = await runCli(['demo', '--profile', 'short'], {}, 120_000);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain('Redis: its own redis-server on 127.0.0.1:');
    expect(out).toMatch(/service redis: running, pid \d+/);
    expect(out).toContain('== 2. Running 12 Python jobs');
    expect(out).toContain('12 done, 0 failed, 12 total');
    expect(out).toMatch(/scaler: python 1 -> 2 workers \(autoscale-up/);
    expect(out).toMatch(/python_worker_\d+ is back as pid \d+ after/);
    expect(out).toContain('and takes jobs again: print(7 * 7) -> 49');
    expect(out).toMatch(/python_worker_\d+: pong in [\d.]+ ms/);
    expect(out).toMatch(/jobs: 13 done, 0 failed; restarts: 1/);
    expect(out).toMatch(/stopped cleanly in .*: none of the \d+ processes it ran is left/);
    // Not a TTY: no cursor movement or colours.
    expect(out).not.toContain('\x1b[');
  }, 150_000);

  it('with --forever prints the dashboard URL and how to log in, serves it, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--profile', 'short', '--forever'], {
      env: cleanEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('Press Ctrl-C to stop.'), {
        timeoutMs: 120_000,
        description: 'the demo to wait',
      });
      const match = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard) \(log in with the admin token: cat (\S+)\)/.exec(
        out,
      );
      expect(match, out).not.toBeNull();
      const [, url, tokenFile] = match as unknown as [string, string, string];
      expect(out).toContain(`xdg-open "${url}#token=$(cat ${tokenFile})"`);
      const token = (await readFile(tokenFile, 'utf8')).trim();
      // The token itself is never printed.
      expect(out).not.toContain(token);
      const login = await fetch(url, { redirect: 'follow' });
      expect(login.url).toBe(`${url}/login`);
      expect(await login.text()).toContain('<form id="login"');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped cleanly in .*: none of the \d+ processes it ran is left/);
  }, 150_000);

  it('says what to install or set when there is no redis-server and no REDIS_URL', async () => {
    // A PATH with python3 and nothing else.
    const dir = await mkdtemp(join(tmpdir(), 'hero-path-'));
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    await symlink(python, join(dir, 'python3'));

    const result = await runCli(['demo', '--profile', 'short'], { PATH: dir });

    await rm(dir, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'The demo needs Redis. Either install redis-server (Debian/Ubuntu: `sudo apt-get install redis-server`; ' +
        'macOS: `brew install redis`) so the demo can run its own, or point it at one: `REDIS_URL=redis://127.0.0.1:6379 npm start`.\n',
    );
  });

  it('says what to install when there is no python3', async () => {
    const result = await runCli(['demo', '--profile', 'short'], { PATH: '/nonexistent' });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'The demo runs Python jobs and needs python3 on PATH: install it (Debian/Ubuntu: `sudo apt-get install python3`).\n',
    );
  });
});
