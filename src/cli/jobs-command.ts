/**
 * `hero-supervisor jobs [--type t] [--state s]`: the jobs in Redis by script type and state, newest first. It replaces
 * the design's `redis-cli keys "hero:job:*"` (see src/transport/PROTOCOL.md) and reads Redis directly: from the
 * config's `redis` (`-c`), else `--redis-url` / `$REDIS_URL`, under `--prefix` (default the config's, else `hero`).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { SupervisorConfig } from '../config/config-types.js';
import { formatDuration } from '../config/duration.js';
import {
  DEFAULT_LIST_LIMIT,
  isListedJobState,
  LISTED_JOB_STATES,
  type ListedJob,
  type ListedJobState,
} from '../jobs/list-jobs.js';
import { renderTable } from './status-table.js';

interface JobsOptions {
  config?: string;
  redisUrl?: string;
  prefix?: string;
  type?: string[];
  state?: ListedJobState[];
  limit: number;
  json?: boolean;
}

export interface JobsCommandIo {
  out: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  readConfig: (path: string) => Promise<SupervisorConfig>;
}

function collectState(value: string, previous: ListedJobState[] = []): ListedJobState[] {
  if (!isListedJobState(value))
    throw new InvalidArgumentError(`expected one of ${LISTED_JOB_STATES.join(', ')}, got \`${value}\`.`);
  return [...previous, value];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new InvalidArgumentError('expected a positive integer.');
  return Number(value);
}

export function formatJobs(jobs: readonly ListedJob[], now: number = Date.now()): string {
  if (jobs.length === 0) return 'No jobs.';
  return renderTable(
    ['TYPE', 'STATE', 'ID', 'AGE', 'ATTEMPTS', 'WORKER', 'REASON'],
    jobs.map((job) => [
      job.scriptType,
      job.state,
      job.id,
      formatDuration(Math.max(0, now - job.createdAt)),
      String(job.attemptsMade),
      job.workerId ?? '-',
      job.reason ?? '',
    ]),
  );
}

/** Adds `jobs` to the CLI. */
export function addJobsCommand(program: Command, io: JobsCommandIo): void {
  program
    .command('jobs')
    .description('list jobs by script type and state, newest first (replaces `redis-cli keys "hero:job:*"`)')
    .option('-c, --config <file>', "read Redis and the key prefix from this config file's `redis`")
    .option('--redis-url <url>', 'Redis to read (env REDIS_URL; default redis://127.0.0.1:6379)')
    .option('--prefix <prefix>', "key prefix (default: the config's, else hero)")
    .option('--type <type>', 'only this script type (repeatable)', collect)
    .addOption(
      new Option('--state <state>', `only this state (repeatable): ${LISTED_JOB_STATES.join(', ')}`).argParser(
        collectState,
      ),
    )
    .option('-n, --limit <n>', 'jobs per type and state', positiveInteger, DEFAULT_LIST_LIMIT)
    .option('--json', 'print the jobs as JSON')
    .action(async (options: JobsOptions) => {
      const config = options.config !== undefined ? await io.readConfig(options.config) : undefined;
      const { listJobs } = await import('../jobs/list-jobs.js');
      let url = options.redisUrl ?? io.env.REDIS_URL;
      if (url === undefined && config !== undefined) {
        const { workerRedisUrl } = await import('../daemon/daemon.js');
        url = workerRedisUrl(config);
      }
      const jobs = await listJobs({
        redis: { url, prefix: options.prefix ?? config?.redis.keyPrefix },
        ...(options.type !== undefined && { scriptTypes: options.type }),
        ...(options.state !== undefined && { states: options.state }),
        limit: options.limit,
      });
      io.out(options.json ? JSON.stringify(jobs, null, 2) : formatJobs(jobs));
    });
}
