/**
 * The wire protocol as a checked spec (issue #16): the committed JSON Schemas are the generated ones, and both ends
 * validate what they receive. The foreign workers here are plain BullMQ workers that get the protocol wrong.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { InvalidJobResultError } from '../../src/errors.js';
import * as api from '../../src/index.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { PingClient } from '../../src/transport/ping-client.js';
import { checkJobData, checkPingReply, toJobResult } from '../../src/transport/protocol-check.js';
import { protocolSchemaPath, protocolSchemaText } from '../../src/transport/protocol-json-schemas.js';
import { PROTOCOL_MESSAGES, type ProtocolMessageName } from '../../src/transport/protocol-schemas.js';
import { controlQueueName, jobQueueName } from '../../src/transport/queue-names.js';
import type { PingJobData } from '../../src/transport/wire-protocol.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const NAMES = Object.keys(PROTOCOL_MESSAGES) as ProtocolMessageName[];

function capturedLogger() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const goodReply = { workerId: 'w', pid: 42, uptimeMs: 10, jobsProcessed: 0, activeJobs: 0, version: '1.0.0' };

describe('the protocol schemas', () => {
  it.each(NAMES)('%s.schema.json is the schema generated from the zod source', async (name) => {
    const committed = JSON.parse(await readFile(protocolSchemaPath(name), 'utf8')) as unknown;

    expect(committed).toEqual(JSON.parse(protocolSchemaText(name)));
  });

  it('are exported by the package, with the protocol version', () => {
    expect(Object.keys(api.protocolSchemas).sort()).toEqual([...NAMES].sort());
    expect(api.protocolSchemas['ping-reply'].required).toEqual([
      'workerId',
      'pid',
      'uptimeMs',
      'jobsProcessed',
      'activeJobs',
      'version',
    ]);
    expect(api.protocolSchemas['job-data'].$id).toBe(`urn:hero-supervisor:protocol:${api.PROTOCOL_VERSION}:job-data`);
  });

  it('name the field, what was expected and what came', () => {
    const { version: _, ...noVersion } = goodReply;
    expect(checkPingReply(noVersion)).toEqual({
      ok: false,
      problem: { field: 'version', message: 'ping reply field `version` is missing (expected a string)' },
    });
    expect(checkPingReply({ ...goodReply, pid: '42' })).toMatchObject({
      problem: { field: 'pid', message: 'ping reply field `pid` must be a number, got "42" (string)' },
    });
    expect(
      checkJobData({ id: 'j', scriptType: 'python', script: '', timeoutMs: 1, env: { 'A=B': 'x' } }),
    ).toMatchObject({ ok: false, problem: { field: 'env.A=B' } });
    expect(checkJobData({ id: 'j', scriptType: 'python', script: '', timeoutMs: 0 })).toMatchObject({
      problem: { message: 'job data field `timeoutMs` must be greater than 0, got 0 (number)' },
    });
  });

  it('accept what a newer peer adds, and a job without env as env {}', () => {
    expect(checkPingReply({ ...goodReply, load: 0.5 })).toMatchObject({ ok: true });
    expect(checkJobData({ id: 'j', scriptType: 'python', script: 'x', timeoutMs: 5 })).toMatchObject({
      ok: true,
      value: { env: {} },
    });
  });

  it('turn a plain-string job result into InvalidJobResultError naming the whole result', () => {
    const error = (() => {
      try {
        toJobResult('job-1', 'hello');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidJobResultError);
    expect(error).toMatchObject({ code: 'INVALID_JOB_RESULT', jobId: 'job-1', field: '' });
    expect((error as Error).message).toContain('job result must be an object, got "hello" (string)');
  });
});

/** A worker that answers pings on control.<workerId> with `reply` (publishing it too when `publish`). */
function foreignPingWorker(redisUrl: string, prefix: string, workerId: string, reply: unknown, publish: boolean) {
  const publisher = new Redis(redisUrl);
  const worker = new Worker(
    controlQueueName(workerId),
    async (job) => {
      const data = job.data as PingJobData;
      if (publish && data.replyChannel)
        await publisher.publish(data.replyChannel, JSON.stringify({ jobId: job.id, reply }));
      return reply;
    },
    { connection: { url: redisUrl }, prefix },
  );
  cleanups.push(async () => {
    await worker.close();
    publisher.disconnect();
  });
  return worker;
}

describe('the ping client with a worker that gets the reply wrong', () => {
  it.each([
    ['published', true],
    ['only returned', false],
  ])(
    'reports invalid-reply, not timeout, for a %s reply without version, and logs what is wrong',
    async (_, publish) => {
      const redisUrl = inject('redisUrl');
      const prefix = `t-${randomUUID().slice(0, 8)}`;
      const { version: _version, ...noVersion } = goodReply;
      const worker = foreignPingWorker(redisUrl, prefix, 'foreign_0', noVersion, publish);
      await worker.waitUntilReady();
      const { logger, lines } = capturedLogger();
      const client = new PingClient({ redis: redisUrl, prefix, logger });
      cleanups.push(() => client.close());

      const outcome = await client.ping('foreign_0', { timeoutMs: 1_500 });

      expect(outcome).toEqual({
        type: 'invalid-reply',
        reason: 'ping reply field `version` is missing (expected a string)',
      });
      const warning = lines.find((line) => line.level === 40 && line.workerId === 'foreign_0');
      expect(warning).toMatchObject({ problem: 'ping reply field `version` is missing (expected a string)' });
    },
  );
});

describe('runJobAndAwaitResult with a worker that returns the wrong result', () => {
  it.each([
    ['a plain string', 'forty-two', ''],
    ['a result without stdout', { stderr: '', exitCode: 0, workerId: 'w', durationMs: 1 }, 'stdout'],
  ])('fails with InvalidJobResultError for %s', async (_, returned, field) => {
    const redisUrl = inject('redisUrl');
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const worker = new Worker(jobQueueName('python'), async () => returned, { connection: { url: redisUrl }, prefix });
    cleanups.push(() => worker.close());
    const supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).build();
    cleanups.push(() => supervisor.close());
    const job = supervisor.newJob().scriptType(ScriptType.Python).scriptContent('print(42)').timeout(5_000).build();

    const error = await supervisor.runJobAndAwaitResult(job).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(InvalidJobResultError);
    expect(error).toMatchObject({ jobId: job.id, field });
    await expect(supervisor.getJobResult(job.id)).rejects.toBeInstanceOf(InvalidJobResultError);
  });
});
