/**
 * The command line of `hero-worker-conformance`: the kit's options first, then the worker command (after `--`, or from
 * the first word that is not one of the kit's options), so that the worker's own flags are never taken for the kit's.
 */
import { CONFORMANCE_DEFAULTS, type ConformanceOptions } from './conformance-options.js';

export class ConformanceUsageError extends Error {
  override name = 'ConformanceUsageError';
}

export const CONFORMANCE_HELP = `Usage: hero-worker-conformance [options] [--] <worker command...>

Runs a worker command against a private redis-server and checks it against the hero wire protocol
(src/transport/PROTOCOL.md). Prints one line per check; exits 0 when every check passes, 1 otherwise,
2 on bad usage. In the command, {workerId}, {redisUrl}, {scriptType} and {prefix} are filled in, and
REDIS_URL is set; the health check runs the command with --health-check appended.

Options:
  --script-type <type>    the worker's script type (default python)
  --worker-id <id>        {workerId} (default conformance_worker_0)
  --prefix <prefix>       {prefix}, the key prefix (default conformance: a worker that ignores it fails)
  --ping-bound <ms>       every ping must be answered within this (default 1000)
  --start-timeout <ms>    the first ping must be answered within this after the spawn (default 20000)
  --stop-timeout <ms>     after SIGTERM the worker must exit within this (default 15000)
  --ok-script <text>      a script that prints --ok-stdout and exits 0 (default: Python print(6*7))
  --ok-stdout <text>      its expected stdout (default "42\\n"; \\n is a newline)
  --fail-script <text>    a script that exits non-zero (default: Python sys.exit(3))
  --slow-script <text>    a script that runs for a minute (default: Python time.sleep(60))
  --redis-server <path>   the redis-server binary (default redis-server from PATH)
  --help                  show this help

Example:
  hero-worker-conformance -- hero-worker --script-type python --worker-id {workerId} \\
    --redis-url {redisUrl} --prefix {prefix}
`;

const VALUE_OPTIONS = new Set([
  'script-type',
  'worker-id',
  'prefix',
  'ping-bound',
  'start-timeout',
  'stop-timeout',
  'ok-script',
  'ok-stdout',
  'fail-script',
  'slow-script',
  'redis-server',
]);

function positiveMs(name: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new ConformanceUsageError(`Expected --${name} to be a positive number of milliseconds, got \`${text}\`.`);
  return Number(text);
}

export function parseConformanceArgs(argv: readonly string[]): ConformanceOptions | 'help' {
  const values = new Map<string, string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) break;
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!VALUE_OPTIONS.has(name))
      throw new ConformanceUsageError(`Unknown option \`${arg}\`. Put the worker command after \`--\`. See --help.`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConformanceUsageError(`Option --${name} needs a value. See --help.`);
    values.set(name, value);
  }
  const command = argv.slice(i);
  if (command.length === 0 || command[0] === '')
    throw new ConformanceUsageError(
      'Missing the worker command, e.g. `-- hero-worker --worker-id {workerId} …`. See --help.',
    );
  const defaults = CONFORMANCE_DEFAULTS;
  const text = (name: string) => values.get(name);
  const ms = (name: string, fallback: number) => {
    const value = text(name);
    return value === undefined ? fallback : positiveMs(name, value);
  };
  return {
    command,
    scriptType: text('script-type') ?? defaults.scriptType,
    workerId: text('worker-id') ?? defaults.workerId,
    prefix: text('prefix') ?? defaults.prefix,
    pingBoundMs: ms('ping-bound', defaults.pingBoundMs),
    startTimeoutMs: ms('start-timeout', defaults.startTimeoutMs),
    stopTimeoutMs: ms('stop-timeout', defaults.stopTimeoutMs),
    healthCheckTimeoutMs: defaults.healthCheckTimeoutMs,
    scripts: {
      ok: text('ok-script') ?? defaults.scripts.ok,
      okStdout: (text('ok-stdout') ?? defaults.scripts.okStdout).replaceAll('\\n', '\n'),
      fail: text('fail-script') ?? defaults.scripts.fail,
      slow: text('slow-script') ?? defaults.scripts.slow,
    },
    redisServer: text('redis-server') ?? defaults.redisServer,
  };
}
