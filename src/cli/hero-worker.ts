#!/usr/bin/env node
/**
 * hero-worker: one worker process. Takes jobs of one script type from Redis (BullMQ queue `jobs.<type>`), runs each
 * script with the type's interpreter (script on stdin, no shell, own process group, SIGKILLed by the kernel if this
 * process dies, and what it started by the reaper: see src/worker/parent-death-signal.ts and group-reaper.ts),
 * answers pings on `control.<workerId>`.
 *
 * Start-up is on the critical path of every restart (the supervisor's recovery time is this process's spawn-to-ready
 * time), so nothing heavy is imported before the arguments are read, and the runtime (BullMQ, ioredis) and the logger
 * load in parallel; the worker connects and starts consuming before it does anything else.
 */
import { parseArgs } from 'node:util';

const HELP = `Usage: hero-worker --script-type <type> --worker-id <id> [options]

Runs the scripts of one script type from Redis (BullMQ queue jobs.<type>) and answers pings.

Options:
  --script-type <type>     osis | sal | v | python (required)
  --worker-id <id>         unique id: letters, digits, _ . - (required); control queue control.<id>
  --redis-url <url>        redis://[user:password@]host:port[/db] or rediss:// (TLS)
                           (default: $REDIS_URL, else redis://127.0.0.1:6379)
                           $REDIS_CLUSTER_NODES=host:port,host:port: a Redis Cluster (prefix {tag})
  --interpreter '<argv>'   interpreter command, split like a shell would (no expansion); the script
                           goes to its stdin. Built in: python -> python3. Required for other types.
  --concurrency <n>        jobs run at once (default 1)
  --prefix <prefix>        key prefix (default hero)
  --shutdown-timeout <ms>  on SIGTERM, how long active jobs may finish (default 10000)
  --log-level <level>      pino level (default info); logs are JSON lines on stderr
  --health-check           exit 0 if Redis is reachable and the configuration valid, 1 otherwise
  --help                   show this help
`;

/** A health check must answer fast: a Redis that does not answer within this is "unreachable". */
const HEALTH_CHECK_TIMEOUT_MS = 3_000;

/** Exit codes: 0 ok, 1 health check failed (Redis), 2 bad usage or configuration. */
const EXIT_UNHEALTHY = 1;
const EXIT_USAGE = 2;

interface WorkerConfig {
  scriptType: string;
  workerId: string;
  redisUrl: string;
  interpreter: string[];
  concurrency: number;
  prefix: string | undefined;
  shutdownTimeoutMs: number | undefined;
  logLevel: string;
}

class UsageError extends Error {}

function integerFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`Expected --${name} to be a positive integer, got \`${text}\`.`);
  }
  return value;
}

async function readConfig(argv: string[]): Promise<WorkerConfig | 'help'> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'script-type': { type: 'string' },
        'worker-id': { type: 'string' },
        'redis-url': { type: 'string' },
        interpreter: { type: 'string' },
        concurrency: { type: 'string' },
        prefix: { type: 'string' },
        'shutdown-timeout': { type: 'string' },
        'log-level': { type: 'string' },
        'health-check': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. See hero-worker --help.`);
  }
  if (values.help) return 'help';
  const scriptType = values['script-type'] as string | undefined;
  const workerId = values['worker-id'] as string | undefined;
  if (!scriptType) throw new UsageError('Missing --script-type (osis, sal, v or python). See hero-worker --help.');
  if (!workerId) throw new UsageError('Missing --worker-id, e.g. --worker-id python_worker_0. See hero-worker --help.');
  const [{ SCRIPT_TYPES, isScriptType }, { DEFAULT_INTERPRETERS, splitShellWords }] = await Promise.all([
    import('../jobs/script-type.js'),
    import('../worker/script-runner.js'),
  ]);
  if (!isScriptType(scriptType)) {
    throw new UsageError(`Unknown --script-type \`${scriptType}\`: expected one of ${SCRIPT_TYPES.join(', ')}.`);
  }
  let interpreter: string[];
  if (values.interpreter !== undefined) {
    try {
      interpreter = splitShellWords(values.interpreter as string);
    } catch (error) {
      throw new UsageError(`Invalid --interpreter: ${(error as Error).message}.`);
    }
    if (interpreter.length === 0) throw new UsageError('--interpreter is empty.');
  } else {
    const builtIn = DEFAULT_INTERPRETERS[scriptType];
    if (!builtIn) {
      throw new UsageError(
        `No interpreter is built in for script type \`${scriptType}\`: pass --interpreter '<argv>' (e.g. --interpreter 'v run -').`,
      );
    }
    interpreter = [...builtIn];
  }
  return {
    scriptType,
    workerId,
    redisUrl: (values['redis-url'] as string | undefined) ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    interpreter,
    concurrency: integerFlag('concurrency', values.concurrency as string | undefined) ?? 1,
    prefix: values.prefix as string | undefined,
    shutdownTimeoutMs: integerFlag('shutdown-timeout', values['shutdown-timeout'] as string | undefined),
    logLevel: (values['log-level'] as string | undefined) ?? 'info',
  };
}

async function healthCheck(config: WorkerConfig): Promise<number> {
  const { resolveRedisConnection } = await import('../transport/redis-connection.js');
  const queueNames: typeof import('../transport/queue-names.js') = await import('../transport/queue-names.js');
  const resolved = resolveRedisConnection({ url: config.redisUrl, prefix: config.prefix });
  queueNames.assertWorkerId(config.workerId);
  const interpreter = config.interpreter[0] as string;
  const { resolveExecutable } = await import('../worker/resolve-executable.js');
  if ((await resolveExecutable(interpreter)).type === 'missing') {
    process.stderr.write(`hero-worker: unhealthy: interpreter \`${interpreter}\` not found or not executable.\n`);
    return EXIT_UNHEALTHY;
  }
  const { Redis } = await import('ioredis');
  const connection = new Redis({
    ...resolved.ioredisOptions,
    lazyConnect: true,
    connectTimeout: HEALTH_CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The connect promise only says "Connection is closed"; the `error` event has the cause (ECONNREFUSED...).
  let lastError: Error | undefined;
  connection.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.connect().then(() => connection.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`)),
          HEALTH_CHECK_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    process.stderr.write(`hero-worker: healthy: Redis at ${resolved.display} answers, configuration valid.\n`);
    return 0;
  } catch (error) {
    process.stderr.write(
      `hero-worker: unhealthy: Redis at ${resolved.display} is unreachable: ${(lastError ?? (error as Error)).message}\n`,
    );
    return EXIT_UNHEALTHY;
  } finally {
    connection.disconnect();
  }
}

async function run(config: WorkerConfig): Promise<void> {
  const [{ createWorker }, { createScriptRunner }, { pino }] = await Promise.all([
    import('../worker/create-worker.js'),
    import('../worker/script-runner.js'),
    import('pino'),
  ]);
  const logger = pino(
    {
      name: 'hero-worker',
      level: config.logLevel,
      base: { pid: process.pid, workerId: config.workerId, scriptType: config.scriptType },
      // Belt and braces: nothing here logs a password, but a future field must not either.
      redact: { paths: ['password', '*.password', 'redisUrl', '*.redisUrl'], censor: '***' },
    },
    pino.destination(2),
  );
  const worker = createWorker({
    scriptType: config.scriptType,
    workerId: config.workerId,
    // A supervisor on a Redis Cluster passes the nodes in the environment, as it does the URL.
    redis: { url: config.redisUrl, ...clusterFromEnv() },
    prefix: config.prefix,
    concurrency: config.concurrency,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    execute: createScriptRunner({ interpreter: config.interpreter }),
    logger,
  });
  await worker.ready;
  // performance.now() counts from process start: this is the spawn-to-ready time the supervisor sees (minus exec).
  logger.info({ sinceProcessStartMs: Math.round(performance.now()), interpreter: config.interpreter[0] }, 'consuming');
}

/** `REDIS_CLUSTER_NODES=host:port,host:port`: connect to a Redis Cluster started from these nodes. */
function clusterFromEnv(): { cluster?: string[] } {
  const nodes = (process.env.REDIS_CLUSTER_NODES ?? '').split(',').filter((node) => node !== '');
  return nodes.length === 0 ? {} : { cluster: nodes };
}

async function main(): Promise<void> {
  let config: WorkerConfig | 'help';
  try {
    config = await readConfig(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`hero-worker: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (config === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const healthCheckRequested = process.argv.includes('--health-check');
  try {
    if (healthCheckRequested) process.exit(await healthCheck(config));
    await run(config);
  } catch (error) {
    // ConfigError from URL or id validation: its message already says what to fix (and hides the password).
    process.stderr.write(`hero-worker: ${(error as Error).message}\n`);
    process.exit(EXIT_USAGE);
  }
}

await main();
