/**
 * Figure `zinit`: requests per second and latency of `status` and `list` through the Zinit client against the
 * legacy and the JSON-RPC test doubles (protocol overhead only), beside a raw socket exchange of the same request
 * with the same double (the floor).
 *
 * The doubles live under test/doubles/ and are not compiled to dist/, so the measurement runs in a child process
 * through tsx from the TypeScript sources (zinit-probe.ts). tsx is a devDependency, like the bench itself.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, Figure } from './bench-context.js';
import { benchLine } from './output.js';
import { killAndWait, spawnNode, stderrTail, waitExit } from './processes.js';
import type { ZinitProbeResult } from './zinit-probe.js';

/** dist/src/bench/zinit.js → src/bench/zinit-probe.ts: the probe runs from the sources. */
const PROBE_SOURCE = fileURLToPath(new URL('../../../src/bench/zinit-probe.ts', import.meta.url));
/** Far more than the probe needs; a hung double must not hang the bench. */
const PROBE_TIMEOUT_MS = 120_000;

async function runProbe(ctx: BenchContext, requests: number): Promise<ZinitProbeResult[]> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawnNode(PROBE_SOURCE, ['--requests', String(requests)], {
    pipeStdout: true,
    nodeOptions: ['--import', tsx],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const timer = setTimeout(() => void killAndWait(child), PROBE_TIMEOUT_MS);
  await waitExit(child);
  clearTimeout(timer);
  if (child.exitCode !== 0) {
    throw new Error(`zinit probe exited with ${child.exitCode ?? child.signalCode}: ${stderrTail(child).trim()}`);
  }
  ctx.log(`probe done (${requests} requests per measurement)`);
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ZinitProbeResult);
}

export const zinitFigure: Figure = {
  name: 'zinit',
  description: 'Zinit client status/list req/s against the legacy and JSON-RPC doubles vs a raw socket exchange',
  smokeInCi: true,
  async run(ctx) {
    const results = await runProbe(ctx, ctx.size(2_000, 40));
    for (const protocol of ['legacy', 'jsonrpc'] as const) {
      for (const command of ['status', 'list'] as const) {
        const find = (via: 'client' | 'raw') =>
          results.find((r) => r.protocol === protocol && r.command === command && r.via === via);
        const client = find('client');
        const raw = find('raw');
        if (!client || !raw) throw new Error(`zinit probe gave no ${protocol} ${command} result`);
        const latency = (r: ZinitProbeResult) =>
          `p50 ${r.p50.toFixed(3)} p95 ${r.p95.toFixed(3)} p99 ${r.p99.toFixed(3)} ms`;
        ctx.emit(
          benchLine({
            name: `zinit.${protocol}.${command}`,
            value: client.requestsPerSecond,
            unit: 'req/s',
            baseline: `raw socket exchange of the same request with the ${protocol} double`,
            baselineValue: raw.requestsPerSecond,
            runs: client.requests,
            notes:
              `sequential requests, req/s = 1000 / median latency (mean-based: client ${client.meanRequestsPerSecond.toFixed(0)}, ` +
              `raw ${raw.meanRequestsPerSecond.toFixed(0)}); client ${latency(client)}; raw ${latency(raw)}` +
              (protocol === 'legacy'
                ? '; legacy: one connection per command'
                : '; JSON-RPC: one long-lived connection'),
          }),
        );
      }
    }
  },
};
