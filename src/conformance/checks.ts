/**
 * The checks of the conformance kit, one per rule of src/transport/PROTOCOL.md, in the order they run. Each says in
 * one line what it saw; a failure says what was expected instead. Later checks need a running worker: when the
 * worker does not start, they are reported as failed with that reason rather than run.
 */
import { findFreePort } from '../net/loopback.js';
import { checkJobResult } from '../transport/protocol-check.js';
import { controlQueueName } from '../transport/queue-names.js';
import { PING_JOB_NAME, type PingJobData, TIMED_OUT_REASON_PREFIX } from '../transport/wire-protocol.js';
import {
  JOB_FINISH_BOUND_MS,
  LOCK_RELEASE_BOUND_MS,
  PING_COUNT,
  TIMEOUT_CHECK_JOB_MS,
  TIMEOUT_SLACK_MS,
} from './conformance-options.js';
import type { KitContext } from './kit-context.js';
import { fillCommand, runToEnd, WorkerUnderTest } from './worker-under-test.js';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface Check {
  name: string;
  /** Needs the worker started by `starts`. */
  needsWorker: boolean;
  run(kit: KitContext): Promise<CheckResult>;
}

const pass = (detail: string): CheckResult => ({ ok: true, detail });
const fail = (detail: string): CheckResult => ({ ok: false, detail });

function values(kit: KitContext, redisUrl = kit.redisUrl) {
  const { workerId, scriptType, prefix } = kit.options;
  return { workerId, redisUrl, scriptType, prefix };
}

function env(redisUrl: string): NodeJS.ProcessEnv {
  return { ...process.env, REDIS_URL: redisUrl };
}

function tail(output: string): string {
  return output === '' ? '' : `; its last output: ${output.replace(/\s*\n\s*/g, ' | ').slice(0, 300)}`;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0] ?? '';
}

const healthCheckHealthy: Check = {
  name: 'health check exits 0 when Redis is reachable',
  needsWorker: false,
  async run(kit) {
    const argv = [...fillCommand(kit.options.command, values(kit)), '--health-check'];
    const ended = await runToEnd(argv, env(kit.redisUrl), kit.options.healthCheckTimeoutMs);
    if (ended.code === 0) return pass(`exit 0 in ${ended.ms} ms`);
    if (ended.code === null && ended.signal === null)
      return fail(`did not exit within ${kit.options.healthCheckTimeoutMs} ms${tail(ended.output)}`);
    return fail(`expected exit 0, got ${ended.code ?? ended.signal}${tail(ended.output)}`);
  },
};

const healthCheckUnhealthy: Check = {
  name: 'health check exits non-zero when Redis is unreachable',
  needsWorker: false,
  async run(kit) {
    // A port nothing listens on: the worker's Redis is gone.
    const deadUrl = `redis://127.0.0.1:${await findFreePort()}`;
    const argv = [...fillCommand(kit.options.command, values(kit, deadUrl)), '--health-check'];
    const ended = await runToEnd(argv, env(deadUrl), kit.options.healthCheckTimeoutMs);
    if (ended.code !== null && ended.code !== 0) return pass(`exit ${ended.code} in ${ended.ms} ms`);
    if (ended.code === 0) return fail(`exited 0 although Redis at ${deadUrl} is unreachable`);
    if (ended.signal !== null) return fail(`killed by ${ended.signal}${tail(ended.output)}`);
    return fail(`did not exit within ${kit.options.healthCheckTimeoutMs} ms${tail(ended.output)}`);
  },
};

const starts: Check = {
  name: 'starts and answers its first ping',
  needsWorker: false,
  async run(kit) {
    const argv = fillCommand(kit.options.command, values(kit));
    const started = performance.now();
    const worker = new WorkerUnderTest(argv, env(kit.redisUrl));
    kit.worker = worker;
    const answered = await kit.until(async () => {
      if (worker.exit) return 'exited';
      const outcome = await kit.pings.ping(kit.options.workerId, { timeoutMs: 500 });
      return outcome.type === 'ok' || outcome.type === 'invalid-reply' ? outcome.type : undefined;
    }, kit.options.startTimeoutMs);
    const ms = Math.round(performance.now() - started);
    if (answered === 'exited') {
      kit.worker = undefined;
      const exit = worker.exit;
      return fail(`exited (${exit?.code ?? exit?.signal}) before answering a ping${tail(worker.outputTail())}`);
    }
    if (answered === undefined) {
      return fail(
        `no answer on queue ${controlQueueName(kit.options.workerId)} (prefix ${kit.options.prefix}) within ` +
          `${kit.options.startTimeoutMs} ms${tail(worker.outputTail())}`,
      );
    }
    return pass(`answered ${ms} ms after its spawn (pid ${worker.pid})`);
  },
};

const answersPings: Check = {
  name: 'answers pings with a valid reply within the bound',
  needsWorker: true,
  async run(kit) {
    const { workerId, pingBoundMs } = kit.options;
    let slowest = 0;
    for (let i = 0; i < PING_COUNT; i++) {
      const outcome = await kit.pings.ping(workerId, { timeoutMs: pingBoundMs });
      if (outcome.type === 'invalid-reply') return fail(outcome.reason);
      if (outcome.type === 'timeout')
        return fail(`ping ${i + 1} of ${PING_COUNT} not answered within ${pingBoundMs} ms`);
      if (outcome.type !== 'ok') return fail(`ping ${i + 1} of ${PING_COUNT}: ${outcome.type}: ${outcome.reason}`);
      if (outcome.reply.workerId !== workerId)
        return fail(
          `ping reply field \`workerId\` must be ${JSON.stringify(workerId)}, got ${JSON.stringify(outcome.reply.workerId)}`,
        );
      slowest = Math.max(slowest, outcome.latencyMs);
    }
    return pass(`${PING_COUNT} of ${PING_COUNT} within ${pingBoundMs} ms (slowest ${Math.round(slowest)} ms)`);
  },
};

const ignoresStalePings: Check = {
  name: 'ignores a ping older than its timeout',
  needsWorker: true,
  async run(kit) {
    const { Queue } = await import('bullmq');
    const control = new Queue(controlQueueName(kit.options.workerId), {
      connection: { url: kit.redisUrl },
      prefix: kit.options.prefix,
    });
    try {
      const data: PingJobData = { type: 'ping', sentAt: Date.now() - 60_000, timeoutMs: 1_000 };
      const job = await control.add(PING_JOB_NAME, data, { removeOnComplete: 100, removeOnFail: 100 });
      const state = await kit.until(async () => {
        const current = await control.getJobState(job.id as string);
        return current === 'completed' || current === 'failed' ? current : undefined;
      }, kit.options.pingBoundMs * 3);
      if (state === 'failed') return pass('failed it unanswered');
      if (state === 'completed') return fail('answered a ping sent 60 s ago with a timeout of 1 s: fail it instead');
      return fail(`left it unprocessed for ${kit.options.pingBoundMs * 3} ms: fail it at once instead`);
    } finally {
      await control.close();
    }
  },
};

const runsAJob: Check = {
  name: 'runs a job and returns the result shape',
  needsWorker: true,
  async run(kit) {
    const { scripts, workerId } = kit.options;
    const id = await kit.addJob(scripts.ok);
    kit.jobIds.completed = id;
    const state = await kit.finished(id, JOB_FINISH_BOUND_MS);
    const job = await kit.job(id);
    if (state === undefined) return fail(`job ${id} not finished within ${JOB_FINISH_BOUND_MS} ms`);
    if (state === 'failed') return fail(`job failed: ${firstLine(job?.failedReason)}`);
    const checked = checkJobResult(job?.returnvalue);
    if (!checked.ok) return fail(checked.problem.message);
    if (checked.value.stdout !== scripts.okStdout)
      return fail(
        `job result field \`stdout\` must be ${JSON.stringify(scripts.okStdout)}, got ${JSON.stringify(checked.value.stdout)}`,
      );
    if (checked.value.workerId !== workerId)
      return fail(
        `job result field \`workerId\` must be ${JSON.stringify(workerId)}, got ${JSON.stringify(checked.value.workerId)}`,
      );
    if (checked.value.exitCode !== 0)
      return fail(`job result field \`exitCode\` must be 0, got ${checked.value.exitCode}`);
    return pass(`completed: stdout ${JSON.stringify(checked.value.stdout)}, ${checked.value.durationMs} ms`);
  },
};

const failsAJob: Check = {
  name: 'fails a failing script visibly',
  needsWorker: true,
  async run(kit) {
    const id = await kit.addJob(kit.options.scripts.fail);
    kit.jobIds.failed = id;
    const state = await kit.finished(id, JOB_FINISH_BOUND_MS);
    const job = await kit.job(id);
    if (state === undefined) return fail(`job ${id} not finished within ${JOB_FINISH_BOUND_MS} ms`);
    if (state === 'completed') return fail('a script that exits non-zero must fail its job, it completed');
    const reason = firstLine(job?.failedReason);
    if (reason.trim() === '') return fail('failed without a reason: give one line saying why');
    return pass(`failed: ${reason}`);
  },
};

const refusesInvalidJob: Check = {
  name: 'fails an invalid job without a retry',
  needsWorker: true,
  async run(kit) {
    const id = await kit.addJob(kit.options.scripts.ok, { attempts: 3, data: { script: undefined } });
    const state = await kit.finished(id, JOB_FINISH_BOUND_MS);
    const job = await kit.job(id);
    if (state === undefined) return fail(`job ${id} without \`script\` not finished within ${JOB_FINISH_BOUND_MS} ms`);
    if (state === 'completed') return fail('a job without `script` must fail, it completed');
    if (job?.attemptsMade !== 1)
      return fail(
        `a job without \`script\` must fail at once (UnrecoverableError); it was tried ${job?.attemptsMade} times`,
      );
    return pass(`failed after 1 of 3 attempts: ${firstLine(job.failedReason)}`);
  },
};

const honoursTimeout: Check = {
  name: 'honours a job timeout',
  needsWorker: true,
  async run(kit) {
    const id = await kit.addJob(kit.options.scripts.slow, { timeoutMs: TIMEOUT_CHECK_JOB_MS });
    const active = await kit.until(
      async () => (await kit.state(id)) !== 'waiting' && performance.now(),
      JOB_FINISH_BOUND_MS,
    );
    if (active === undefined) return fail(`job ${id} not taken within ${JOB_FINISH_BOUND_MS} ms`);
    const bound = TIMEOUT_CHECK_JOB_MS + TIMEOUT_SLACK_MS;
    const state = await kit.finished(id, bound);
    const ms = Math.round(performance.now() - active);
    const reason = firstLine((await kit.job(id))?.failedReason);
    if (state === undefined) return fail(`a job with timeoutMs ${TIMEOUT_CHECK_JOB_MS} still runs after ${bound} ms`);
    if (state === 'completed')
      return fail(`the slow script completed instead of being killed at ${TIMEOUT_CHECK_JOB_MS} ms`);
    if (!reason.startsWith(TIMED_OUT_REASON_PREFIX))
      return fail(`failed, but its reason must start with "${TIMED_OUT_REASON_PREFIX}", got ${JSON.stringify(reason)}`);
    const after = await kit.pings.ping(kit.options.workerId, { timeoutMs: kit.options.pingBoundMs });
    // An invalid reply is the ping check's finding; here only the answer counts.
    if (after.type !== 'ok' && after.type !== 'invalid-reply')
      return fail(`killed the job, but then did not answer a ping (${after.type})`);
    return pass(`failed ${ms} ms after it started: ${reason}`);
  },
};

const publishesActivity: Check = {
  name: 'publishes job activity',
  needsWorker: true,
  async run(kit) {
    const invalid = kit.activity.find((record) => !record.ok);
    if (invalid && !invalid.ok) return fail(`${invalid.problem} (message ${invalid.raw.slice(0, 120)})`);
    const expected: [string | undefined, 'started' | 'finished', 'completed' | 'failed' | undefined][] = [
      [kit.jobIds.completed, 'started', undefined],
      [kit.jobIds.completed, 'finished', 'completed'],
      [kit.jobIds.failed, 'started', undefined],
      [kit.jobIds.failed, 'finished', 'failed'],
    ];
    for (const [jobId, phase, outcome] of expected) {
      if (jobId === undefined) return fail('the job checks did not run');
      // Activity is published around the time the job finishes: allow it a moment.
      const seen = await kit.until(
        async () =>
          kit.activity.find(
            (record) =>
              record.ok &&
              record.activity.jobId === jobId &&
              record.activity.phase === phase &&
              (outcome === undefined || record.activity.outcome === outcome),
          ),
        2_000,
      );
      if (!seen) return fail(`no \`${phase}\`${outcome ? ` (outcome ${outcome})` : ''} message for job ${jobId}`);
    }
    const wrongWorker = kit.activity.find((record) => record.ok && record.activity.workerId !== kit.options.workerId);
    if (wrongWorker?.ok)
      return fail(
        `job activity field \`workerId\` must be ${JSON.stringify(kit.options.workerId)}, got ${JSON.stringify(wrongWorker.activity.workerId)}`,
      );
    return pass(`started and finished for a completed and a failed job (${kit.activity.length} messages, all valid)`);
  },
};

const handsBackOnSigterm: Check = {
  name: 'hands back its job on SIGTERM and exits 0',
  needsWorker: true,
  async run(kit) {
    const worker = kit.worker as WorkerUnderTest;
    const id = await kit.addJob(kit.options.scripts.slow, { timeoutMs: 120_000 });
    const active = await kit.until(async () => (await kit.state(id)) === 'active', JOB_FINISH_BOUND_MS);
    if (!active) return fail(`job ${id} not taken within ${JOB_FINISH_BOUND_MS} ms`);
    worker.signalGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      worker.exited,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), kit.options.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (exit === undefined) {
      worker.signalGroup('SIGKILL');
      return fail(`still running ${kit.options.stopTimeoutMs} ms after SIGTERM (the supervisor would SIGKILL it)`);
    }
    kit.worker = undefined;
    if (exit.code !== 0)
      return fail(`exited ${exit.code ?? exit.signal} on SIGTERM, expected 0${tail(worker.outputTail())}`);
    const handedBack = await kit.until(async () => {
      const state = await kit.state(id);
      if (state === 'waiting' || state === 'completed' || state === 'failed') return state;
      return state === 'active' && !(await kit.locked(id)) ? 'active without a lock' : undefined;
    }, LOCK_RELEASE_BOUND_MS);
    if (handedBack === undefined)
      return fail(
        `its job is still locked ${LOCK_RELEASE_BOUND_MS} ms after the exit: use a 5 s lock, or move the job to wait`,
      );
    if (handedBack === 'failed')
      return fail(`failed its job on SIGTERM (${firstLine((await kit.job(id))?.failedReason)}): hand it back instead`);
    if (handedBack === 'completed') return fail('the 60 s script completed: the job was not the one stopped');
    return pass(
      `exit 0; its job is ${handedBack === 'waiting' ? 'back in wait' : 'active without a lock (the stall check re-queues it)'}`,
    );
  },
};

export const CHECKS: readonly Check[] = [
  healthCheckHealthy,
  healthCheckUnhealthy,
  starts,
  answersPings,
  ignoresStalePings,
  runsAJob,
  failsAJob,
  refusesInvalidJob,
  honoursTimeout,
  publishesActivity,
  handsBackOnSigterm,
];
