/**
 * Issue 8, scenario 8: secrets. A Redis password and env values marked secret never appear in logs, status output,
 * events or errors, asserted over captured output. The daemon and CLI side (`status`, `/metrics`, `validate`) is in
 * test/cli/secrets.e2e.test.ts; this file covers the library an embedder uses: the lifecycle manager and its events,
 * the job Supervisor (also with a wrong password), and hero-worker's own log at trace level.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import type { WorkerLifecycleManager } from '../../src/lifecycle/worker-lifecycle-manager.js';
import { WorkerLifecycleManagerBuilder } from '../../src/lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import { waitFor } from '../helpers/wait-for.js';
import { DurableRedisServer } from './durable-redis.js';
import { HERO_WORKER, heroWorkerConfig, killLeftovers, reportCounts, spawnHeroWorker } from './fault-helpers.js';

const PASSWORD = `pw-${randomUUID().slice(0, 12)}`;
const API_KEY = `key-${randomUUID().slice(0, 12)}`;
const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), API_KEY];

/** A pino destination that keeps every line. */
function captureLogs(): { logger: Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => text };
}

/** Which of the secrets appear in `text` (an empty list is the expected answer). */
function leaked(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret));
}

describe('scenario 8: secrets never appear in logs, status, events or errors', () => {
  let redis: DurableRedisServer;
  let redisUrl: string;
  const prefix = `fault8-${randomUUID().slice(0, 8)}`;
  const pids = new Set<number>();

  beforeAll(async () => {
    redis = await DurableRedisServer.start({ extraArgs: ['--requirepass', PASSWORD] });
    redisUrl = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
  });

  afterAll(async () => {
    killLeftovers(pids);
    await redis?.destroy();
  });

  it('the lifecycle manager, its events and statuses, and the job Supervisor keep them out', async () => {
    const lifecycleLogs = captureLogs();
    const supervisorLogs = captureLogs();
    const processes = new EmbeddedProcessManager({ logger: lifecycleLogs.logger });
    const events: unknown[] = [];
    // Two ways to hand the URL to a worker: in its environment marked secret (what the daemon does), and in argv.
    const byEnv = new WorkerConfig('python_worker_0', process.execPath, 'python')
      .withArgs([HERO_WORKER, '--script-type', 'python', '--worker-id', '{workerId}', '--prefix', prefix])
      .withEnv({ REDIS_URL: '{redisUrl}' }, { secret: true })
      .withSecretEnv({ API_KEY });
    const byArgv = heroWorkerConfig('python_worker_1', 'python', prefix).withSecretEnv({ API_KEY });
    const lifecycle: WorkerLifecycleManager = new WorkerLifecycleManagerBuilder(processes)
      .withRedis(redisUrl, { prefix })
      .withLogger(lifecycleLogs.logger)
      .addWorker(byEnv)
      .addWorker(byArgv)
      .build();
    for (const name of ['worker:stateChanged', 'worker:restarted', 'scaler:scaled', 'lifecycle:error'] as const) {
      lifecycle.on(name, (event) => events.push(event));
    }
    const supervisor = new SupervisorBuilder()
      .redisUrl(redisUrl)
      .prefix(prefix)
      .callerId('fault8')
      .logger(supervisorLogs.logger)
      .build();
    try {
      await lifecycle.startAllWorkers();
      for (const worker of lifecycle.listWorkers()) if (worker.pid) pids.add(worker.pid);
      const job = supervisor
        .newJob()
        .scriptType(ScriptType.Python)
        .scriptContent('print("ok")')
        .timeout(10_000)
        .build();
      const output = await supervisor.runJobAndAwaitResult(job, { timeoutMs: 30_000 });
      const failing = supervisor
        .newJob()
        .scriptType(ScriptType.Python)
        .scriptContent('raise SystemExit(3)')
        .timeout(10_000)
        .build();
      const failure = await supervisor.runJobAndAwaitResult(failing, { timeoutMs: 30_000 }).catch((e: Error) => e);
      await lifecycle.restartWorker('python_worker_0');
      const statuses = JSON.stringify(lifecycle.listWorkers());
      const health = JSON.stringify(await lifecycle.monitorWorkerHealth());
      const envPid = lifecycle.getWorkerStatus('python_worker_0').pid ?? 0;
      const argvOfEnvWorker = readFileSync(`/proc/${envPid}/cmdline`, 'utf8');
      // Informational: argv is world-readable, so a URL passed there is exposed by design (README says: use env).
      const argvPid = lifecycle.getWorkerStatus('python_worker_1').pid ?? 0;
      const argvExposed = leaked(readFileSync(`/proc/${argvPid}/cmdline`, 'utf8')).length > 0;
      await lifecycle.shutdown();
      await supervisor.close();
      await processes.close();

      const surfaces = {
        lifecycleLogs: leaked(lifecycleLogs.text()),
        supervisorLogs: leaked(supervisorLogs.text()),
        events: leaked(JSON.stringify(events)),
        statuses: leaked(statuses + health),
        jobFailure: leaked(`${String(failure)} ${JSON.stringify(failure)}`),
        redisDisplay: leaked(supervisor.redisDisplay),
        argvOfEnvWorker: leaked(argvOfEnvWorker),
      };
      const leakingLines = lifecycleLogs
        .text()
        .split('\n')
        .filter((line) => leaked(line).length > 0)
        .map((line) => line.replaceAll(PASSWORD, '<PASSWORD>').replaceAll(API_KEY, '<API_KEY>'));
      if (leakingLines.length > 0) console.log(`lines leaking a secret:\n${leakingLines.join('\n')}`);
      reportCounts('8 secrets (library)', {
        logBytesChecked: lifecycleLogs.text().length + supervisorLogs.text().length,
        passwordInArgvWhenPassedAsArg: argvExposed,
        ...Object.fromEntries(Object.entries(surfaces).map(([surface, found]) => [surface, found.length])),
      });

      expect(output.trim()).toBe('ok');
      expect(lifecycleLogs.text().length).toBeGreaterThan(0);
      expect(surfaces).toEqual({
        lifecycleLogs: [],
        supervisorLogs: [],
        events: [],
        statuses: [],
        jobFailure: [],
        redisDisplay: [],
        argvOfEnvWorker: [],
      });
    } finally {
      await lifecycle.shutdown();
      await supervisor.close();
      await processes.close();
    }
  });

  it('hero-worker logs no password at trace level, nor when the password is wrong', async () => {
    const good = spawnHeroWorker({
      workerId: `secret_worker_${randomUUID().slice(0, 6)}`,
      redisUrl,
      prefix,
      extraArgs: ['--log-level', 'trace'],
    });
    const wrongPassword = `wrong-${PASSWORD}`;
    const bad = spawnHeroWorker({
      workerId: `secret_worker_${randomUUID().slice(0, 6)}`,
      redisUrl: `redis://:${wrongPassword}@127.0.0.1:${redis.port}`,
      prefix,
      extraArgs: ['--log-level', 'trace'],
    });
    pids.add(good.pid);
    pids.add(bad.pid);
    try {
      await waitFor(() => good.isReady(), { timeoutMs: 20_000, description: 'the worker to consume' });
      await waitFor(() => /WRONGPASS|NOAUTH|invalid|auth/i.test(bad.stderr()), {
        timeoutMs: 20_000,
        description: 'the wrong-password worker to report the refusal',
      });
      const texts = { good: good.stderr(), bad: bad.stderr() };
      reportCounts('8 secrets (hero-worker)', {
        logBytesChecked: texts.good.length + texts.bad.length,
        leaksGood: leaked(texts.good).length,
        leaksBad: leaked(texts.bad).length + (texts.bad.includes(wrongPassword) ? 1 : 0),
      });

      expect(leaked(texts.good)).toEqual([]);
      expect(leaked(texts.bad)).toEqual([]);
      expect(texts.bad).not.toContain(wrongPassword);
    } finally {
      await good.kill();
      await bad.kill();
    }
  });
});
