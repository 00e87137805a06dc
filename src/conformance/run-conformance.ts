/**
 * Runs every check of the conformance kit against one worker command, on a private Redis, and reports one line per
 * check as it goes. The result says whether the worker conforms to src/transport/PROTOCOL.md.
 */
import { startRedisServer } from '../net/redis-server.js';
import { PROTOCOL_VERSION } from '../transport/protocol-schemas.js';
import { CHECKS, type CheckResult } from './checks.js';
import type { ConformanceOptions } from './conformance-options.js';
import { KitContext } from './kit-context.js';

export interface CheckReport extends CheckResult {
  name: string;
}

export interface ConformanceReport {
  ok: boolean;
  checks: CheckReport[];
}

/** `PASS <check>: <detail>` or `FAIL <check>: <detail>`. */
export function formatCheck(report: CheckReport): string {
  return `${report.ok ? 'PASS' : 'FAIL'} ${report.name}: ${report.detail}`;
}

export async function runConformance(
  options: ConformanceOptions,
  onLine: (line: string) => void = () => {},
): Promise<ConformanceReport> {
  const redis = await startRedisServer({ binary: options.redisServer, alternative: 'or pass --redis-server <path>' });
  const kit = new KitContext(options, redis.url);
  const checks: CheckReport[] = [];
  onLine(
    `hero wire protocol ${PROTOCOL_VERSION}: checking \`${options.command.join(' ')}\` (Redis ${redis.url}, prefix ${options.prefix})`,
  );
  try {
    await kit.start();
    for (const check of CHECKS) {
      let result: CheckResult;
      if (check.needsWorker && kit.worker === undefined)
        result = { ok: false, detail: 'not run: the worker is not running' };
      else {
        try {
          result = await check.run(kit);
        } catch (error) {
          result = { ok: false, detail: `the check itself failed: ${(error as Error).message}` };
        }
      }
      const report = { name: check.name, ...result };
      checks.push(report);
      onLine(formatCheck(report));
    }
  } finally {
    await kit.close();
    await redis.stop();
  }
  const failed = checks.filter((check) => !check.ok).length;
  onLine(
    failed === 0
      ? `conforms: ${checks.length} of ${checks.length} checks passed`
      : `does not conform: ${failed} of ${checks.length} checks failed`,
  );
  return { ok: failed === 0, checks };
}
