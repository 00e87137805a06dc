/**
 * The raw-BullMQ baseline worker, run as its own process: a plain BullMQ `Worker` with no hero-supervisor code.
 * `--mode echo` returns the job's data (the raw round trip the ping figure compares with); `--mode spawn`
 * runs `--interpreter` with the job's `script` on stdin and returns its stdout, as hero-worker does.
 * Prints `ready` on stdout once its connection is up.
 *
 * `--wrap setpriv` runs the interpreter under `setpriv --pdeathsig KILL --`, as hero-worker did on Linux before its
 * reaper made that exec unnecessary (it is now the fallback where no reaper runs), to show that cost.
 *
 *   node raw-bullmq-worker.js --redis-url redis://... --queue q --prefix p [--mode echo|spawn]
 *     [--interpreter cat] [--wrap none|setpriv] [--concurrency 1]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Worker } from 'bullmq';

const { values } = parseArgs({
  options: {
    'redis-url': { type: 'string' },
    queue: { type: 'string' },
    prefix: { type: 'string', default: 'bull' },
    mode: { type: 'string', default: 'echo' },
    interpreter: { type: 'string', default: 'cat' },
    wrap: { type: 'string', default: 'none' },
    concurrency: { type: 'string', default: '1' },
  },
});
const redisUrl = values['redis-url'];
const queueName = values.queue;
if (!redisUrl || !queueName) {
  process.stderr.write('raw-bullmq-worker: --redis-url and --queue are required\n');
  process.exit(2);
}

function runInterpreter(argv: readonly string[], script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const [binary, ...args] = argv;
    if (binary === undefined) {
      reject(new Error('empty --interpreter'));
      return;
    }
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`interpreter exited with ${code}: ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(script);
  });
}

const interpreter = [
  ...(values.wrap === 'setpriv' ? ['setpriv', '--pdeathsig', 'KILL', '--'] : []),
  ...(values.interpreter ?? 'cat').split(' ').filter(Boolean),
];
const worker = new Worker(
  queueName,
  async (job) => {
    if (values.mode === 'spawn') return runInterpreter(interpreter, String(job.data?.script ?? ''));
    return { pid: process.pid, data: job.data };
  },
  {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    prefix: values.prefix,
    concurrency: Number(values.concurrency),
    removeOnComplete: { age: 600, count: 10_000 },
    removeOnFail: { age: 600, count: 10_000 },
  },
);
worker.on('error', (error) => process.stderr.write(`raw-bullmq-worker: ${error.message}\n`));
await worker.waitUntilReady();
process.stdout.write('ready\n');

const shutdown = () => {
  worker.close().finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
