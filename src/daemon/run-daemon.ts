/**
 * `hero-supervisor run -c <file>`: load the config (a bad one exits 2 with every error listed), start the daemon,
 * run until SIGTERM or SIGINT, then shut down gracefully (workers finish their jobs within their stop timeout)
 * and exit 0. A second signal during shutdown exits at once (the process manager's exit hook still kills the
 * children).
 */

import { EXIT } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/hero-supervisor.js';
import { createInspection } from '../cli/inspection.js';
import type { SupervisorConfig } from '../config/config-types.js';
import { configError, configSecrets, loadConfig } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log/logger.js';
import { Redactor } from '../log/redact.js';
import { Daemon } from './daemon.js';
import { preflightIssues } from './preflight.js';
import { RedisWaitAborted } from './wait-for-redis.js';

export interface RunDaemonOptions {
  configPath: string;
  inspect?: boolean | string;
  inspectLog?: string;
  io: CliIo;
}

const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Exit status after a second signal: 128 + SIGINT, as shells report an interrupted program. */
const FORCED_EXIT_CODE = 130;

export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const { io } = options;
  let config: SupervisorConfig;
  try {
    config = await loadConfig(options.configPath, { env: io.env });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.runtimeError;
  }
  // What would fail at every start (a missing program, a stop timeout out of range...) refuses the start now.
  const problems = await preflightIssues(config);
  if (problems.length > 0) {
    io.stderr.write(`${configError(options.configPath, problems).message}\n`);
    return EXIT.usage;
  }
  const redactor = new Redactor(configSecrets(config));
  const logger = createRootLogger({ level: config.logging.level, pretty: config.logging.pretty, redactor });

  const inspection = await createInspection({
    ...(options.inspect !== undefined && { inspect: options.inspect }),
    ...(options.inspectLog !== undefined && { inspectLog: options.inspectLog }),
    redactor,
    announce: (message) => logger.info(message),
  });

  const aborter = new AbortController();
  let stopRequested: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    stopRequested = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(FORCED_EXIT_CODE);
    }
    logger.info({ signal }, 'signal received: shutting down');
    aborter.abort();
    stopRequested(signal);
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal);

  try {
    let daemon: Daemon;
    try {
      daemon = await Daemon.start({
        config,
        logger,
        redactor,
        signal: aborter.signal,
        ...(inspection !== undefined && { inspect: inspection.inspect }),
      });
    } catch (error) {
      if (error instanceof RedisWaitAborted) return EXIT.ok;
      logger.fatal({ err: error }, `supervisor failed to start: ${(error as Error).message}`);
      return error instanceof ConfigError ? EXIT.usage : EXIT.runtimeError;
    }
    await stopped;
    await daemon.stop();
    logger.info('supervisor stopped');
    return EXIT.ok;
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, onSignal);
    await inspection?.close();
    logger.flush();
  }
}
