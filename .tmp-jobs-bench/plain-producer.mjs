import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';

const connection = { host: '127.0.0.1', port: 6390 };
const queue = new Queue('jobs.python', { connection, prefix: 'hero' });
const events = new QueueEvents('jobs.python', { connection, prefix: 'hero' });
await events.waitUntilReady();

const id = randomUUID();
const data = {
  id, scriptType: 'python', script: 'print(1+1)', env: {}, timeoutMs: 10_000,
  callerId: 'plain-bullmq', contextId: 'demo', createdAt: Date.now(),
};
const keep = { age: 24 * 60 * 60, count: 10_000 };
const job = await queue.add('script', data, { jobId: id, removeOnComplete: keep, removeOnFail: keep });
console.log(await job.waitUntilFinished(events, 15_000));
await Promise.all([queue.close(), events.close()]);
