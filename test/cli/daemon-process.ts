/**
 * Test helpers for the CLI and the admin endpoint: a real `hero-supervisor run` daemon spawned from dist/
 * (embedded backend, the run's Redis, real hero-worker workers), and one-shot CLI runs with captured output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFreePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

export const CLI = resolve('dist/src/cli/hero-supervisor.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does).`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hero-supervisor <args>` to completion. HERO_* variables of the test process are not inherited. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hero-supervisor ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('HERO_') && key !== 'REDIS_URL') env[key] = value;
  }
  return { ...env, ...extra };
}

export interface DaemonUnderTest {
  child: ChildProcess;
  dir: string;
  configPath: string;
  endpoint: string;
  token: string;
  port: number;
  stderr: () => string;
  stdout: () => string;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface DaemonConfigInput {
  redisUrl: string;
  /** Extra YAML appended to the generated config (other sections). */
  extraYaml?: string;
  /** YAML of the `scriptTypes.python` entry. @defaultValue '{ binary: hero-worker, min: 2, max: 4 }' */
  python?: string;
  /** YAML of the `processManager` section. @defaultValue embedded, with a state file in the daemon's temp dir */
  processManagerYaml?: string;
  /** YAML of the `redis` section; overrides `redisUrl`. */
  redisYaml?: string;
  /** YAML of the `admin` section, with `{port}` and `{token}` filled in. @defaultValue '{ port: {port}, token: "{token}" }' */
  adminYaml?: string;
  /** The admin port (a daemon restarted where the previous one listened). @defaultValue a free port */
  port?: number;
  /** The admin token. @defaultValue a fresh random one */
  token?: string;
  /** Resolve once the daemon reports "supervisor running" (else as soon as it is spawned). @defaultValue true */
  waitUntilRunning?: boolean;
}

export async function startDaemon(
  input: DaemonConfigInput,
  env: Record<string, string> = {},
): Promise<DaemonUnderTest> {
  assertBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'hero-cli-'));
  const port = input.port ?? (await findFreePort());
  const token = input.token ?? `test-token-${randomUUID()}`;
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const configPath = join(dir, 'supervisor.yaml');
  await writeFile(
    configPath,
    [
      input.redisYaml ?? `redis: { url: "${input.redisUrl}", keyPrefix: ${prefix} }`,
      `processManager: ${input.processManagerYaml ?? `{ type: embedded, stateFile: "${join(dir, 'children.json')}" }`}`,
      `scriptTypes:\n  python: ${input.python ?? '{ binary: hero-worker, min: 2, max: 4 }'}`,
      `admin: ${(input.adminYaml ?? '{ port: {port}, token: "{token}" }').replace('{port}', String(port)).replace('{token}', token)}`,
      'logging: { level: info }',
      input.extraYaml ?? '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [CLI, 'run', '-c', configPath], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolvePromise) => child.once('exit', (code) => resolvePromise(code)));
  const daemon: DaemonUnderTest = {
    child,
    dir,
    configPath,
    endpoint: `http://127.0.0.1:${port}`,
    token,
    port,
    stderr: () => stderr,
    stdout: () => stdout,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
  if (input.waitUntilRunning === false) return daemon;
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${stderr}`);
      return stderr.includes('"msg":"supervisor running"');
    },
    { timeoutMs: 30_000, description: 'the daemon to report "supervisor running"' },
  ).catch(async (error: Error) => {
    await daemon.stop('SIGKILL');
    throw new Error(`${error.message}\n--- daemon stderr ---\n${stderr}`);
  });
  return daemon;
}

/** Whether a process is alive (signal 0). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
