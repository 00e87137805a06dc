#!/usr/bin/env node
/**
 * hero-worker-conformance: checks any worker command against the hero wire protocol (src/transport/PROTOCOL.md) on
 * a private Redis, one line per check. Exit 0: conforms; 1: a check failed; 2: bad usage (or no redis-server).
 * The checks are in src/conformance/.
 */
import {
  CONFORMANCE_HELP,
  ConformanceUsageError,
  parseConformanceArgs,
} from '../conformance/parse-conformance-args.js';
import { runConformance } from '../conformance/run-conformance.js';
import { RedisServerUnavailableError } from '../net/redis-server.js';

const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseConformanceArgs>;
  try {
    options = parseConformanceArgs(argv);
  } catch (error) {
    if (!(error instanceof ConformanceUsageError)) throw error;
    process.stderr.write(`hero-worker-conformance: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (options === 'help') {
    process.stdout.write(CONFORMANCE_HELP);
    return 0;
  }
  try {
    const report = await runConformance(options, (line) => process.stdout.write(`${line}\n`));
    return report.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof RedisServerUnavailableError)) throw error;
    process.stderr.write(`hero-worker-conformance: ${error.message}\n`);
    return EXIT_USAGE;
  }
}

process.exitCode = await main(process.argv.slice(2));
