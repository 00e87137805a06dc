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
import { BASE_ENV_NAMES } from '../../src/process/base-environment.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import { SECRET_ENV_NAMES_VARIABLE } from '../../src/worker/script-env.js';
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

  it("a worker starts with a clean environment; its scripts see neither the worker's secrets nor the supervisor's", async () => {
    // Secrets of the supervisor's own process: a worker must never get them, whatever user it runs as.
    const supervisorSecrets = {
      HERO_ADMIN_TOKEN: `admin-${randomUUID()}`,
      REDIS_PW: `redis-pw-${randomUUID().slice(0, 12)}`,
      SOME_CLOUD_KEY: `cloud-${randomUUID().slice(0, 12)}`,
    };
    const saved = { ...process.env };
    Object.assign(process.env, supervisorSecrets, { PASSED_ON: 'passed-by-name' });
    const processes = new EmbeddedProcessManager();
    const worker = (name: string, type: string, interpreter: string[]) =>
      new WorkerConfig(name, process.execPath, type)
        .withArgs([
          HERO_WORKER,
          '--script-type',
          type,
          '--worker-id',
          '{workerId}',
          '--prefix',
          prefix,
          ...(interpreter.length > 0 ? ['--interpreter', interpreter.join(' ')] : []),
        ])
        .withEnv({ REDIS_URL: '{redisUrl}' }, { secret: true })
        .withSecretEnv({ API_KEY })
        .withEnv({ PLAIN: 'visible-value' })
        .withPassEnv(['PASSED_ON']);
    // As root, one worker also runs as nobody (65534): the environment is the same.
    const asRoot = process.getuid?.() === 0;
    const configs = [worker('python_worker_0', 'python', [])];
    if (asRoot) configs.push(worker('v_worker_0', 'v', ['python3']).withUser(65534, 65534));
    const builder = new WorkerLifecycleManagerBuilder(processes).withRedis(redisUrl, { prefix });
    for (const config of configs) builder.addWorker(config);
    const lifecycle = builder.build();
    const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).callerId('fault8-env').build();
    const allowedInWorker = new Set([
      ...BASE_ENV_NAMES,
      'REDIS_URL',
      'API_KEY',
      'PLAIN',
      'PASSED_ON',
      SECRET_ENV_NAMES_VARIABLE,
    ]);
    const forbiddenValues = [...Object.values(supervisorSecrets), ...SECRETS];
    try {
      await lifecycle.startAllWorkers();
      for (const config of configs) {
        const pid = lifecycle.getWorkerStatus(config.name).pid ?? 0;
        pids.add(pid);
        const workerEnv = Object.fromEntries(
          readFileSync(`/proc/${pid}/environ`, 'utf8')
            .split('\0')
            .filter((entry) => entry !== '')
            .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
        );
        expect(Object.keys(workerEnv).filter((key) => !allowedInWorker.has(key))).toEqual([]);
        expect(workerEnv.PASSED_ON).toBe('passed-by-name');
        expect(workerEnv[SECRET_ENV_NAMES_VARIABLE]).toBe('API_KEY,REDIS_URL');
      }
      const printed: Record<string, Record<string, string>> = {};
      for (const config of configs) {
        const job = supervisor
          .newJob()
          .scriptType(config.scriptType as ScriptType)
          .scriptContent('import json, os\nprint(json.dumps(dict(os.environ)))')
          .env({ JOB_VAR: 'from-the-job' })
          .timeout(20_000)
          .build();
        const output = await supervisor.runJobAndAwaitResult(job, { timeoutMs: 30_000 });
        printed[config.name] = JSON.parse(output) as Record<string, string>;
      }
      reportCounts('8 secrets (worker and script environment)', {
        workers: configs.length,
        asNobody: asRoot,
        leakedToScripts: Object.values(printed).filter((env) =>
          forbiddenValues.some((secret) => JSON.stringify(env).includes(secret)),
        ).length,
      });

      for (const env of Object.values(printed)) {
        const text = JSON.stringify(env);
        for (const secret of forbiddenValues) expect(text).not.toContain(secret);
        for (const key of ['REDIS_URL', 'API_KEY', SECRET_ENV_NAMES_VARIABLE, ...Object.keys(supervisorSecrets)]) {
          expect(env).not.toHaveProperty(key);
        }
        expect(env).toMatchObject({ JOB_VAR: 'from-the-job', PLAIN: 'visible-value', PASSED_ON: 'passed-by-name' });
      }
      expect(Object.keys(printed)).toHaveLength(asRoot ? 2 : 1);
    } finally {
      process.env = saved;
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
