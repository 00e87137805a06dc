/**
 * `npm run bench`: runs every figure of issue 7 and prints one JSON object per line on stdout
 * (`{ name, value, unit, baseline, baselineValue, ratio, runs, notes }`); progress goes to stderr.
 *
 *   npm run bench                      all figures
 *   npm run bench -- --only recovery   one figure (comma-separated for several)
 *   npm run bench -- --smoke           tiny sizes: checks the shape, the numbers mean nothing
 *
 * A figure that fails still prints a line for itself with `value: null` and the reason in `notes`; the exit
 * code is then 1.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { BenchContext, Figure } from './bench-context.js';
import { startBenchRedis } from './bench-redis.js';
import { FIGURES } from './figures.js';
import { type BenchLine, formatLine, missingLine } from './output.js';
import { killAllTracked, killAllTrackedSync } from './processes.js';

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function selectFigures(only: string | undefined): Figure[] {
  if (only === undefined) return FIGURES;
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !FIGURES.some((figure) => figure.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `Expected \`--only\` to name figures among ${FIGURES.map((f) => f.name).join(', ')}, got \`${unknown.join(', ')}\`.`,
    );
  }
  return FIGURES.filter((figure) => names.includes(figure.name));
}

async function runFigure(figure: Figure, base: Omit<BenchContext, 'defer' | 'emit'>): Promise<boolean> {
  const cleanups: (() => unknown)[] = [];
  let emitted = 0;
  const ctx: BenchContext = {
    ...base,
    emit: (line: BenchLine) => {
      emitted += 1;
      process.stdout.write(`${formatLine(line)}\n`);
    },
    defer: (cleanup) => cleanups.push(cleanup),
  };
  const started = performance.now();
  log(`${figure.name}: ${figure.description}`);
  let ok = true;
  try {
    await figure.run(ctx);
  } catch (error) {
    ok = false;
    const reason = error instanceof Error ? error.message : String(error);
    log(`${figure.name} failed: ${error instanceof Error ? (error.stack ?? reason) : reason}`);
    ctx.emit(missingLine(figure.name, '', '', `failed: ${reason.split('\n')[0]}`));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`${figure.name}: cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await killAllTracked();
  }
  log(`${figure.name}: ${emitted} line(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return ok;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      smoke: { type: 'boolean', default: false },
    },
  });
  const figures = selectFigures(values.only);
  process.once('exit', killAllTrackedSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllTrackedSync();
      process.exit(130);
    });
  }

  const redis = await startBenchRedis();
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  log(`redis ${redis.url}${redis.owned ? ' (own redis-server)' : ' (REDIS_URL)'}, key prefix ${prefix}`);
  const started = performance.now();
  let failures = 0;
  try {
    for (const figure of figures) {
      const ok = await runFigure(figure, {
        redisUrl: redis.url,
        smoke: values.smoke ?? false,
        prefix: `${prefix}-${figure.name}`,
        log: (message) => log(`${figure.name}: ${message}`),
        size: (full, smoke) => (values.smoke ? smoke : full),
      });
      if (!ok) failures += 1;
    }
  } finally {
    await redis.stop();
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s, ${failures} figure(s) failed`);
  return failures === 0 ? 0 : 1;
}

// process.exit, not exitCode: PM2's client keeps a handle open after killDaemon/disconnect, and a bench that
// printed its last line must not hang on a library's leftover timer.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
