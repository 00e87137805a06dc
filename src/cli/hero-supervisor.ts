#!/usr/bin/env node
/**
 * hero-supervisor: the daemon (`run`), its config check (`validate`), the demo (`npm start`), the diagrams
 * (`visualize`), and the commands that control a running daemon through its admin endpoint
 * (`status`, `scale`, `restart`, `stop`, `logs`). Exit codes are in `exit-codes.ts` and in `--help`.
 */
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AdminClient } from '../admin/admin-client.js';
import type { SupervisorConfig } from '../config/config-types.js';
import { configError, configSecrets, loadConfig } from '../config/load-config.js';
import { AdminRequestError, ConfigError, DaemonUnreachableError, UnauthorizedError } from '../errors.js';
import { formatFleet } from '../fleet/fleet-table.js';
import { Redactor } from '../log/redact.js';
import { packageVersion } from '../worker/version.js';
import { resolveEndpoint } from './admin-endpoint.js';
import { EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { DEFAULT_INSPECT_PORT, replayInspectionLog } from './inspection.js';
import { addJobsCommand } from './jobs-command.js';
import { formatStatus } from './status-table.js';
import { showWorkerStatus } from './worker-status.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
}

interface ControlOptions {
  config?: string;
  endpoint?: string;
  token?: string;
}

/** Maps an error to the documented exit code. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof ConfigError) return EXIT.usage;
  if (error instanceof DaemonUnreachableError) return EXIT.daemonUnreachable;
  if (error instanceof UnauthorizedError) return EXIT.unauthorized;
  if (error instanceof AdminRequestError) {
    if (error.status === 404) return EXIT.notFound;
    if (error.status === 400) return EXIT.usage;
  }
  return EXIT.runtimeError;
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer.');
  return Number(value);
}

function addControlOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', "read the daemon's admin endpoint and token from this config file")
    .option(
      '--endpoint <url|socket>',
      'admin endpoint: http://127.0.0.1:7171 or a Unix socket path (env HERO_ADMIN_ENDPOINT)',
    )
    .option('--token <token>', 'admin token (prefer env HERO_ADMIN_TOKEN: a flag shows in `ps`)');
}

function addInspectOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--inspect [port|url]',
        `stream actors to Stately's inspector (relay on port ${DEFAULT_INSPECT_PORT}, or a ws:// URL)`,
      ),
    )
    .option('--inspect-log <file>', 'append every actor event to <file> as JSON lines (replay with `replay`)');
}

/** Runs the CLI; resolves with the exit code (the bin sets it; tests call this directly). */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  let exitCode: number = EXIT.ok;

  const readConfig = async (path: string): Promise<SupervisorConfig> => loadConfig(path, { env: io.env });
  const client = async (options: ControlOptions): Promise<AdminClient> => {
    const config = options.config !== undefined ? await readConfig(options.config) : undefined;
    const { endpoint, token } = await resolveEndpoint(options, config?.admin, io.env);
    return new AdminClient(token === undefined ? { endpoint } : { endpoint, token });
  };

  const program = new Command('hero-supervisor')
    .description('Keeps fleets of script-execution workers alive, healthy and right-sized.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);

  addInspectOptions(
    program
      .command('run')
      .description('run the supervisor daemon: workers, health checks, scaling, admin endpoint')
      .requiredOption('-c, --config <file>', 'config file (YAML)'),
  ).action(async (options: { config: string; inspect?: boolean | string; inspectLog?: string }) => {
    const { runDaemon } = await import('../daemon/run-daemon.js');
    exitCode = await runDaemon({ configPath: options.config, ...inspectOf(options), io });
  });

  program
    .command('validate')
    .description('check a config file and exit (0 valid, 2 invalid)')
    .requiredOption('-c, --config <file>', 'config file (YAML)')
    .option('--print', 'print the resolved config as JSON (defaults applied, secrets redacted)')
    .action(async (options: { config: string; print?: boolean }) => {
      const config = await readConfig(options.config);
      // Every check `run` makes before it starts anything, so that valid here means `run` accepts it.
      const { preflightIssues } = await import('../daemon/preflight.js');
      const problems = await preflightIssues(config);
      if (problems.length > 0) throw configError(options.config, problems);
      if (options.print) {
        out(new Redactor(configSecrets(config)).redact(JSON.stringify(config, null, 2)));
        return;
      }
      const types = Object.values(config.scriptTypes).map((type) => `${type.name} ${type.min}-${type.max}`);
      out(
        `${options.config}: valid. ${types.length} script type${types.length === 1 ? '' : 's'}` +
          `${types.length > 0 ? ` (${types.join(', ')})` : ''}, ${Object.keys(config.services).length} service(s), ` +
          `backend ${config.processManager.type}.`,
      );
    });

  addInspectOptions(
    program
      .command('demo')
      .description('what `npm start` runs: a supervisor with Python workers, jobs, a crash, scaling, pings')
      .option('--forever', 'keep the supervisor running after the demo, until Ctrl-C')
      .addOption(
        new Option('--profile <profile>', 'demo size')
          .choices(['short', 'full'])
          .default('full')
          .env('HERO_DEMO_PROFILE'),
      ),
  ).action(
    async (options: {
      forever?: boolean;
      profile: 'short' | 'full';
      inspect?: boolean | string;
      inspectLog?: string;
    }) => {
      const { runDemo } = await import('../demo/run-demo.js');
      exitCode = await runDemo({
        forever: options.forever ?? false,
        profile: options.profile,
        ...inspectOf(options),
        io,
      });
    },
  );

  program
    .command('visualize')
    .description('write the statechart diagrams (SVG and Mermaid) into visualizations/')
    .option('--check', 'fail when the diagrams are stale instead of writing them')
    .action(async (options: { check?: boolean }) => {
      let visualize: typeof import('./visualize.js');
      try {
        visualize = await import('./visualize.js');
      } catch (error) {
        err(
          `visualize needs the development dependencies (@viz-js/viz, @xstate/machine-extractor): run \`npm install\` in a checkout. (${(error as Error).message})`,
        );
        exitCode = EXIT.runtimeError;
        return;
      }
      const result = await visualize.writeVisualizations({ check: options.check ?? false });
      if (result === false) exitCode = EXIT.runtimeError;
    });

  program
    .command('schema')
    .description('print the JSON Schema of the config file (for editor completion)')
    .action(async () => {
      const { configJsonSchemaText } = await import('../config/json-schema.js');
      out(configJsonSchemaText());
    });

  program
    .command('replay')
    .description("send a recorded --inspect-log file to Stately's inspector")
    .argument('<file>', 'JSON lines written by --inspect-log')
    .option('--port <port>', 'relay port', (value) => nonNegativeInteger(value), DEFAULT_INSPECT_PORT)
    .action(async (file: string, options: { port: number }) => {
      // A missing or unreadable file is a usage error said in one line, not a stream error with a stack trace.
      const problem = await whyUnreadable(file);
      if (problem !== undefined) {
        err(`Cannot read ${file}: ${problem}.`);
        exitCode = EXIT.usage;
        return;
      }
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
      const replay = await replayInspectionLog(lines, options.port, out);
      out(`sent ${replay.events} events; press Ctrl-C to stop the relay`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      replay.stop();
    });

  addControlOptions(
    program
      .command('status')
      .description('show workers (state, pid, uptime, last job, restarts, CPU, memory) and queues')
      .argument('[worker]', 'show only this worker, one field per line (as `zinit status <name>`)')
      .option('--json', 'print the status as JSON')
      .option('--fleet', 'show every supervisor of the fleet, its workers and their states'),
  ).action(async (worker: string | undefined, options: ControlOptions & { json?: boolean; fleet?: boolean }) => {
    if (options.fleet) {
      const fleet = await (await client(options)).fleet();
      out(options.json ? JSON.stringify(fleet, null, 2) : formatFleet(fleet));
      return;
    }
    const report = await (await client(options)).status();
    if (worker !== undefined) {
      const shown = showWorkerStatus(report, worker, options.json ?? false);
      (shown.found ? out : err)(shown.text);
      if (!shown.found) exitCode = EXIT.notFound;
      return;
    }
    out(options.json ? JSON.stringify(report, null, 2) : formatStatus(report));
  });

  addControlOptions(
    program
      .command('scale')
      .description('set the number of workers of a script type (within its min and max)')
      .argument('<type>', 'script type, e.g. python')
      .argument('<n>', 'number of workers', nonNegativeInteger),
  ).action(async (type: string, n: number, options: ControlOptions) => {
    await (await client(options)).scale(type, n);
    out(`scaled ${type} to ${n}`);
  });

  addControlOptions(
    program
      .command('restart')
      .description('restart a worker')
      .argument('<worker>', 'worker name, e.g. python_worker_0'),
  ).action(async (worker: string, options: ControlOptions) => {
    await (await client(options)).restart(worker);
    out(`restarted ${worker}`);
  });

  addControlOptions(
    program
      .command('stop')
      .description('stop a worker (gracefully; it stays stopped until restarted or rescaled)')
      .argument('<worker>', 'worker name, e.g. python_worker_0'),
  ).action(async (worker: string, options: ControlOptions) => {
    await (await client(options)).stop(worker);
    out(`stopped ${worker}`);
  });

  addControlOptions(
    program
      .command('logs')
      .description("print a worker's captured output")
      .argument('<worker>', 'worker name, e.g. python_worker_0')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C')
      .option('-n, --tail <lines>', 'lines of history to print first', nonNegativeInteger, 100),
  ).action(async (worker: string, options: ControlOptions & { follow?: boolean; tail: number }) => {
    const interrupted = new AbortController();
    const stop = () => interrupted.abort();
    process.once('SIGINT', stop);
    try {
      const lines = (await client(options)).logs(worker, {
        follow: options.follow ?? false,
        tail: options.tail,
        signal: interrupted.signal,
      });
      for await (const line of lines) out(line);
    } finally {
      process.off('SIGINT', stop);
    }
  });

  addJobsCommand(program, { out, env: io.env, readConfig });

  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: out, writeErr: err });
    command.addHelpText('after', `\n${EXIT_CODES_HELP}`);
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exitCode 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    err(error instanceof Error ? error.message : String(error));
    return exitCodeOf(error);
  }
  return exitCode;
}

/** Why `file` cannot be read as a file, or undefined when it can. */
async function whyUnreadable(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return 'it is a directory';
    await access(file, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    return code ?? (error as Error).message;
  }
}

function inspectOf(options: { inspect?: boolean | string; inspectLog?: string }) {
  return {
    ...(options.inspect !== undefined && { inspect: options.inspect }),
    ...(options.inspectLog !== undefined && { inspectLog: options.inspectLog }),
  };
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === (await realpathOf(process.argv[1]))) {
  process.exitCode = await main(process.argv.slice(2));
}

async function realpathOf(path: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}
