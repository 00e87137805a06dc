/**
 * The design's own debug commands (issue #16): `hero-supervisor status <worker>` shows one worker as `zinit status
 * <name>` shows one service, and `hero-supervisor jobs` lists jobs by type and state, replacing
 * `redis-cli keys "hero:job:*"`. A real daemon with hero-worker workers, jobs run through the real Supervisor.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WorkerReport } from '../../src/admin/status-report.js';
import { JobFailedError } from '../../src/errors.js';
import type { ListedJob } from '../../src/jobs/list-jobs.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { type DaemonUnderTest, runCli, startDaemon } from './daemon-process.js';

const prefix = `t${randomUUID().slice(0, 8)}`;
let daemon: DaemonUnderTest;
let supervisor: Supervisor;
const control = (...args: string[]) =>
  runCli([...args, '--endpoint', daemon.endpoint], { HERO_ADMIN_TOKEN: daemon.token });

beforeAll(async () => {
  const redisUrl = inject('redisUrl');
  daemon = await startDaemon({
    redisUrl,
    redisYaml: `redis: { url: "${redisUrl}", keyPrefix: ${prefix} }`,
    python: '{ binary: hero-worker, min: 1, max: 1 }',
  });
  supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
});

afterAll(async () => {
  await supervisor?.close();
  await daemon?.stop();
});

describe('hero-supervisor status <worker>', () => {
  it('shows one worker, one field per line, as zinit status does', async () => {
    const all = JSON.parse((await control('status', '--json')).stdout) as { workers: WorkerReport[] };
    const worker = all.workers.find((candidate) => candidate.name === 'python_worker_0') as WorkerReport;

    const result = await control('status', 'python_worker_0');

    expect(result.code).toBe(0);
    const fields = Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/: (.*)/s, 2)),
    );
    expect(fields).toMatchObject({
      name: 'python_worker_0',
      type: 'python',
      state: 'running',
      pid: String(worker.pid),
    });
    expect(Object.keys(fields)).toEqual([
      'name',
      'type',
      'state',
      'pid',
      'uptime',
      'last job',
      'restarts',
      'ping failures',
      'cpu',
      'memory',
      'reason',
    ]);
  });

  it('prints the one worker as JSON with --json', async () => {
    const result = await control('status', 'python_worker_0', '--json');

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'python_worker_0', scriptType: 'python' });
  });

  it('exits 5 for an unknown worker, naming the known ones', async () => {
    const result = await control('status', 'python_worker_9');

    expect(result.code).toBe(5);
    expect(result.stderr).toContain('No worker named `python_worker_9` (known: python_worker_0).');
  });
});

describe('hero-supervisor jobs', () => {
  let completed: string;
  let failed: string;
  beforeAll(async () => {
    const ok = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(1)').build();
    await supervisor.runJobAndAwaitResult(ok);
    const bad = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('import sys; sys.exit(3)').build();
    await expect(supervisor.runJobAndAwaitResult(bad)).rejects.toBeInstanceOf(JobFailedError);
    completed = ok.id;
    failed = bad.id;
  });

  it('lists the jobs of the config with type, state, worker and reason', async () => {
    const result = await runCli(['jobs', '-c', daemon.configPath]);

    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TYPE\s+STATE\s+ID\s+AGE\s+ATTEMPTS\s+WORKER\s+REASON$/);
    expect(lines.find((line) => line.includes(completed))).toMatch(
      /^python\s+completed\s+\S+\s+\S+\s+1\s+python_worker_0\s*$/,
    );
    expect(lines.find((line) => line.includes(failed))).toMatch(
      /^python\s+failed\s+\S+\s+\S+\s+1\s+python_worker_0\s+Script exited with code 3 \(python3\)\.$/,
    );
  });

  it('filters by state and type, with --redis-url and --prefix instead of a config, as JSON', async () => {
    const result = await runCli([
      'jobs',
      '--redis-url',
      inject('redisUrl'),
      '--prefix',
      prefix,
      '--type',
      'python',
      '--state',
      'failed',
      '--json',
    ]);

    expect(result.code).toBe(0);
    const jobs = JSON.parse(result.stdout) as ListedJob[];
    expect(jobs.map((job) => [job.id, job.state])).toEqual([[failed, 'failed']]);
  });

  it('says No jobs. for a prefix without any, and refuses an unknown state with exit 2', async () => {
    const empty = await runCli([
      'jobs',
      '--redis-url',
      inject('redisUrl'),
      '--prefix',
      `none${randomUUID().slice(0, 6)}`,
    ]);
    const bad = await runCli(['jobs', '--state', 'finished']);

    expect(empty).toMatchObject({ code: 0, stdout: 'No jobs.\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'expected one of active, waiting, prioritized, delayed, failed, completed, got `finished`.',
    );
  });

  it('has help, with the exit codes', async () => {
    const result = await runCli(['jobs', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: hero-supervisor jobs');
    expect(result.stdout).toContain('(replaces `redis-cli keys');
    expect(result.stdout).toContain('3  daemon unreachable');
  });
});
