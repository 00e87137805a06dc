/**
 * Every duration is at most Node's timer limit (2^31 − 1 ms) and every count has a documented bound (issue #11
 * item 3): at each entry point, the bound itself is accepted and one above it is refused with the field named and
 * the bound stated. Before, `health: { idleTimeoutMs: 720h }` validated and the timers then fired after 1 ms.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { ConfigError, InvalidJobError } from '../src/errors.js';
import { JobBuilder } from '../src/jobs/job-builder.js';
import { ScriptType } from '../src/jobs/script-type.js';
import { SupervisorBuilder } from '../src/jobs/supervisor-builder.js';
import { resolveScriptType } from '../src/lifecycle/lifecycle-options.js';
import { WorkerConfig } from '../src/lifecycle/worker-config.js';
import { WorkerLifecycleManagerBuilder } from '../src/lifecycle/worker-lifecycle-manager-builder.js';
import { MAX_COUNT, MAX_DURATION_MS, MAX_JOB_RETRIES, MAX_WORKERS_PER_TYPE } from '../src/limits.js';
import { EmbeddedProcessManager } from '../src/process/embedded/embedded-process-manager.js';
import { createWorker } from '../src/worker/create-worker.js';

const LIMIT = MAX_DURATION_MS;
const ABOVE = MAX_DURATION_MS + 1;
const BOUND_TEXT = '2147483647 ms (about 24.8 days, Node';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

async function rejected(action: () => Promise<unknown>): Promise<Error> {
  try {
    await action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

function configIssues(yaml: string): string[] {
  try {
    parseConfig(yaml, { env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  return [];
}

const SCRIPT_TYPE = 'scriptTypes: { python: { binary: hero-worker';

describe('config file', () => {
  const durations: [string, (value: string) => string][] = [
    ['health.idleTimeoutMs', (v) => `${SCRIPT_TYPE} } }\nhealth: { idleTimeoutMs: ${v} }`],
    ['health.pingIntervalMs', (v) => `${SCRIPT_TYPE} } }\nhealth: { pingIntervalMs: ${v} }`],
    ['health.pingTimeoutMs', (v) => `${SCRIPT_TYPE} } }\nhealth: { pingTimeoutMs: ${v} }`],
    ['health.startTimeoutMs', (v) => `${SCRIPT_TYPE} } }\nhealth: { startTimeoutMs: ${v} }`],
    ['restartPolicy.backoffMaxMs', (v) => `${SCRIPT_TYPE} } }\nrestartPolicy: { backoffMaxMs: ${v} }`],
    ['restartPolicy.windowMs', (v) => `${SCRIPT_TYPE} } }\nrestartPolicy: { windowMs: ${v} }`],
    ['restartPolicy.giveUpCooldownMs', (v) => `${SCRIPT_TYPE} } }\nrestartPolicy: { giveUpCooldownMs: ${v} }`],
    ['scriptTypes.python.stopTimeoutMs', (v) => `${SCRIPT_TYPE}, stopTimeoutMs: ${v} } }`],
    [
      'scriptTypes.python.autoscale.cooldownMs',
      (v) => `${SCRIPT_TYPE}, autoscale: { enabled: true, cooldownMs: ${v} } } }`,
    ],
  ];

  it.each(durations)(
    '%s: the limit is accepted, 1 ms more is refused naming the field and the limit',
    (field, yaml) => {
      expect(configIssues(yaml(String(LIMIT)))).toEqual([]);
      const issues = configIssues(yaml(String(ABOVE)));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toContain(`${field}: expected at most ${BOUND_TEXT}`);
    },
  );

  it('refuses `720h` (the duration of the finding), which once made the timers fire after 1 ms', () => {
    const issues = configIssues(`${SCRIPT_TYPE} } }\nhealth: { idleTimeoutMs: 720h, pingIntervalMs: 720h }`);
    expect(issues).toEqual([
      expect.stringContaining('health.idleTimeoutMs: expected at most'),
      expect.stringContaining('health.pingIntervalMs: expected at most'),
    ]);
    // 596h is the largest whole number of hours within the limit (596 × 3,600,000 = 2,145,600,000 ms).
    expect(configIssues(`${SCRIPT_TYPE} } }\nhealth: { idleTimeoutMs: 596h }`)).toEqual([]);
  });

  it('bounds min and max at MAX_WORKERS_PER_TYPE and other counts at MAX_COUNT', () => {
    expect(configIssues(`${SCRIPT_TYPE}, min: ${MAX_WORKERS_PER_TYPE}, max: ${MAX_WORKERS_PER_TYPE} } }`)).toEqual([]);
    expect(configIssues(`${SCRIPT_TYPE}, max: ${MAX_WORKERS_PER_TYPE + 1} } }`)).toEqual([
      expect.stringMatching(/^scriptTypes\.python\.max: .*10000/),
    ]);
    expect(configIssues(`${SCRIPT_TYPE}, min: ${MAX_WORKERS_PER_TYPE + 1} } }`)[0]).toMatch(
      /^scriptTypes\.python\.min: .*10000/,
    );
    expect(configIssues(`${SCRIPT_TYPE} } }\nhealth: { failureThreshold: ${MAX_COUNT} }`)).toEqual([]);
    expect(configIssues(`${SCRIPT_TYPE} } }\nhealth: { failureThreshold: ${MAX_COUNT + 1} }`)[0]).toMatch(
      /^health\.failureThreshold: .*1000000/,
    );
  });
});

describe('WorkerConfig and WorkerLifecycleManagerBuilder', () => {
  const builder = () => new WorkerLifecycleManagerBuilder(new EmbeddedProcessManager());

  it('withStopTimeout: the limit is accepted, 1 ms more is refused', () => {
    const config = new WorkerConfig('w', '/bin/true', 'python');
    expect(config.withStopTimeout(LIMIT).stopTimeoutMs).toBe(LIMIT);
    const error = thrown(() => config.withStopTimeout(ABOVE));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`Expected \`stopTimeoutMs\` to be at most ${BOUND_TEXT}`);
    expect(error.message).toContain(String(ABOVE));
  });

  it.each([
    'idleTimeoutMs',
    'pingIntervalMs',
    'pingTimeoutMs',
    'startTimeoutMs',
    'backoffBaseMs',
    'backoffMaxMs',
    'resetBackoffAfterMs',
    'restartWindowMs',
    'giveUpCooldownMs',
  ] as const)('withSettings %s: the limit is accepted, 1 ms more is refused', (key) => {
    expect(() => builder().withSettings({ [key]: LIMIT })).not.toThrow();
    const error = thrown(() => builder().withSettings({ [key]: ABOVE }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`Expected \`settings.${key}\` to be at most ${BOUND_TEXT}`);
    expect((error as ConfigError).issues[0]?.path).toBe(`settings.${key}`);
  });

  it('withSettings counts: MAX_COUNT is accepted, one more is refused', () => {
    expect(() => builder().withSettings({ maxRestarts: MAX_COUNT, pingFailureThreshold: MAX_COUNT })).not.toThrow();
    expect(thrown(() => builder().withSettings({ maxRestarts: MAX_COUNT + 1 })).message).toContain(
      '`settings.maxRestarts` to be an integer from 0 to 1,000,000',
    );
  });

  it.each([
    'stopTimeoutMs',
    'healthCheckIntervalMs',
    'autoscalePollIntervalMs',
    'memoryCheckIntervalMs',
    'dependencyStartTimeoutMs',
  ] as const)('withTimings %s: the limit is accepted, 1 ms more is refused', (key) => {
    expect(() => builder().withTimings({ [key]: LIMIT })).not.toThrow();
    const error = thrown(() => builder().withTimings({ [key]: ABOVE }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`Expected \`timings.${key}\` to be at most ${BOUND_TEXT}`);
  });

  it('withStopTimeout of the builder: the limit is accepted, 1 ms more is refused', () => {
    expect(() => builder().withStopTimeout(LIMIT)).not.toThrow();
    expect(thrown(() => builder().withStopTimeout(ABOVE)).message).toContain('`timings.stopTimeoutMs` to be at most');
  });

  it('withScriptType (checked at build): min, max and initial up to MAX_WORKERS_PER_TYPE, autoscale durations up to the limit', () => {
    const template = new WorkerConfig('python_template', '/bin/true', 'python');
    const at = resolveScriptType(
      'python',
      { template, max: MAX_WORKERS_PER_TYPE, autoscale: { cooldownMs: LIMIT, stabilizationWindowMs: LIMIT } },
      [],
    );
    expect(at.max).toBe(MAX_WORKERS_PER_TYPE);
    const tooMany = thrown(() =>
      builder()
        .withScriptType('python', { template, max: MAX_WORKERS_PER_TYPE + 1 })
        .build(),
    );
    expect(tooMany).toBeInstanceOf(ConfigError);
    expect(tooMany.message).toContain('`scriptTypes.python.max` to be an integer from 0 to 10,000');
    const tooLong = thrown(() =>
      resolveScriptType('python', { template, autoscale: { stabilizationWindowMs: ABOVE } }, []),
    );
    expect(tooLong.message).toContain(`\`scriptTypes.python.autoscale.stabilizationWindowMs\` to be at most`);
  });

  it('startHealthMonitoring and pingWorker: an interval or timeout above the limit is refused', async () => {
    const processes = new EmbeddedProcessManager();
    cleanups.push(() => processes.close());
    const manager = new WorkerLifecycleManagerBuilder(processes)
      .withRedis(inject('redisUrl'), { prefix: `t-${randomUUID().slice(0, 8)}` })
      .build();
    cleanups.push(() => manager.shutdown());
    const error = thrown(() => manager.startHealthMonitoring({ intervalMs: ABOVE }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`Expected \`intervalMs\` to be at most ${BOUND_TEXT}`);
    manager.startHealthMonitoring({ intervalMs: LIMIT }).stop();
  });
});

describe('JobBuilder and Supervisor', () => {
  const job = () => new JobBuilder().scriptType(ScriptType.Python).scriptContent('print(1)');

  it('a job timeout: the limit is accepted, 1 ms more is refused', () => {
    expect(job().timeout(LIMIT).build().timeoutMs).toBe(LIMIT);
    const error = thrown(() => job().timeout(ABOVE).build());
    expect(error).toBeInstanceOf(InvalidJobError);
    expect((error as InvalidJobError).field).toBe('timeout');
    expect(error.message).toContain(`Expected \`timeout\` to be at most ${BOUND_TEXT}`);
  });

  it('retries: MAX_JOB_RETRIES is accepted, one more is refused', () => {
    expect(job().retries(MAX_JOB_RETRIES).build().retries).toBe(MAX_JOB_RETRIES);
    const error = thrown(() =>
      job()
        .retries(MAX_JOB_RETRIES + 1)
        .build(),
    );
    expect((error as InvalidJobError).field).toBe('retries');
    expect(error.message).toContain('at most 1000');
  });

  it('timeoutMs of runJobAndAwaitResult, createJob, startJob, getJobStatus and pingWorker: above the limit is refused', async () => {
    const supervisor = new SupervisorBuilder()
      .redisUrl(inject('redisUrl'))
      .prefix(`t-${randomUUID().slice(0, 8)}`)
      .build();
    cleanups.push(() => supervisor.close());
    const built = job().build();
    const calls: [string, () => Promise<unknown>][] = [
      ['runJobAndAwaitResult', () => supervisor.runJobAndAwaitResult(built, { timeoutMs: ABOVE })],
      ['createJob', () => supervisor.createJob(built, { timeoutMs: ABOVE })],
      ['startJob', () => supervisor.startJob(built, { timeoutMs: ABOVE })],
      ['getJobStatus', () => supervisor.getJobStatus('x', { timeoutMs: ABOVE })],
      ['getJobResult', () => supervisor.getJobResult('x', { timeoutMs: ABOVE })],
      ['pingWorker', () => supervisor.pingWorker('x', { timeoutMs: ABOVE })],
    ];
    for (const [name, call] of calls) {
      const error = await rejected(call);
      expect(error, name).toBeInstanceOf(InvalidJobError);
      expect(error.message, name).toContain(`Expected \`timeoutMs\` to be at most ${BOUND_TEXT}`);
    }
    // At the limit the call is accepted: it reads the (unknown) job at once.
    expect(await supervisor.getJobStatus('x', { timeoutMs: LIMIT })).toBe('unknown');
  });

  it('a job whose timeout × attempts passes the limit still waits (capped at the limit), never fires early', async () => {
    const supervisor = new SupervisorBuilder()
      .redisUrl(inject('redisUrl'))
      .prefix(`t-${randomUUID().slice(0, 8)}`)
      .build();
    cleanups.push(() => supervisor.close());
    const long = job().timeout(LIMIT).retries(3).build();
    const pending = supervisor.runJobAndAwaitResult(long);
    let settled = false;
    pending.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    // No worker runs: the job stays waiting. A wait overflowing the timer would have fired after 1 ms.
    const deadline = Date.now() + 500;
    while (Date.now() < deadline) {
      expect(await supervisor.getJobStatus(long.id)).not.toBe('timed-out');
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(settled).toBe(false);
    await supervisor.close();
    await pending.catch(() => {});
  });
});

describe('createWorker', () => {
  it.each(['shutdownTimeoutMs', 'lockDurationMs', 'stalledIntervalMs'] as const)(
    '%s above the limit is refused before anything connects',
    (key) => {
      const error = thrown(() =>
        createWorker({
          scriptType: 'python',
          workerId: 'w1',
          redis: inject('redisUrl'),
          execute: async () => ({ stdout: '' }),
          handleSignals: false,
          [key]: ABOVE,
        }),
      );
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain(`Expected \`${key}\` to be at most ${BOUND_TEXT}`);
    },
  );

  it('concurrency above MAX_COUNT is refused', () => {
    const error = thrown(() =>
      createWorker({
        scriptType: 'python',
        workerId: 'w1',
        redis: inject('redisUrl'),
        execute: async () => ({ stdout: '' }),
        handleSignals: false,
        concurrency: MAX_COUNT + 1,
      }),
    );
    expect(error.message).toContain('`concurrency` to be an integer from 1 to 1,000,000');
  });
});
