/**
 * The `zinit` figure's measuring process, run through tsx (`node --import tsx src/bench/zinit-probe.ts`) because
 * the protocol-faithful Zinit doubles live under test/doubles/ and are not compiled to dist/. It starts the
 * legacy and the JSON-RPC double with a few monitored services, then measures `status` and `list` through the
 * client (LegacyZinitClient / JsonRpcZinitClient) and through a raw socket exchange of the same request (the
 * floor: the double's own cost plus the socket). Prints one JSON result per measurement on stdout.
 *
 *   node --import tsx src/bench/zinit-probe.ts --requests 2000
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JsonRpcZinitClient, LegacyZinitClient, type ZinitClient } from '../process/zinit/zinit-client.js';
import { summarize } from './stats.js';

/** The doubles, as far as the probe uses them (their modules are loaded by path: src/ must not depend on test/). */
interface ZinitDouble {
  socketPath: string;
  /** Stops serving, ends the services and removes the double's temp dir. */
  close(): Promise<void>;
}
interface DoubleModule {
  start(options: { configDir: string }): Promise<ZinitDouble>;
}

/** Services each double monitors: `list` returns them all, `status` asks for one. */
const SERVICES = 10;

export interface ZinitProbeResult {
  protocol: 'legacy' | 'jsonrpc';
  command: 'status' | 'list';
  via: 'client' | 'raw';
  requests: number;
  /** 1000 / median latency: sequential throughput, robust to the outliers of a shared machine. */
  requestsPerSecond: number;
  /** requests / elapsed, outliers included. */
  meanRequestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

async function loadDouble(file: string, exportName: string): Promise<DoubleModule> {
  const module = (await import(new URL(`../../test/doubles/${file}`, import.meta.url).href)) as Record<
    string,
    DoubleModule
  >;
  const double = module[exportName];
  if (double === undefined) throw new Error(`test/doubles/${file} does not export ${exportName}`);
  return double;
}

/** Legacy floor: one connection per command, the reply read to EOF (NOTES §2). */
function rawLegacy(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.write(line);
  });
}

/** JSON-RPC floor: one long-lived connection; requests in sequence, each answer is one newline-terminated JSON. */
class RawJsonRpc {
  #socket: Socket;
  #buffer = '';
  #waiting: ((line: string) => void) | undefined;
  #id = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      const newline = this.#buffer.indexOf('\n');
      if (newline === -1) return;
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      this.#waiting?.(line);
    });
  }

  static open(socketPath: string): Promise<RawJsonRpc> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath, () => resolve(new RawJsonRpc(socket)));
      socket.once('error', reject);
    });
  }

  call(method: string, params: unknown[]): Promise<string> {
    this.#id += 1;
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(`${JSON.stringify({ jsonrpc: '2.0', method, params, id: this.#id })}\n`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

async function measure(requests: number, one: () => Promise<unknown>) {
  const warmup = Math.ceil(requests / 10);
  for (let i = 0; i < warmup; i += 1) await one();
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < requests; i += 1) {
    const t = performance.now();
    await one();
    samples.push(performance.now() - t);
  }
  const elapsed = performance.now() - started;
  const stats = summarize(samples);
  return {
    requestsPerSecond: 1000 / stats.median,
    meanRequestsPerSecond: requests / (elapsed / 1000),
    p50: stats.p50,
    p95: stats.p95,
    p99: stats.p99,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' } } });
  const requests = Number(values.requests);
  const dir = mkdtempSync(join(tmpdir(), 'hero-bench-zinit-'));
  const results: ZinitProbeResult[] = [];
  const emit = (result: ZinitProbeResult) => {
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  };
  try {
    for (const protocol of ['legacy', 'jsonrpc'] as const) {
      const configDir = join(dir, protocol);
      mkdirSync(configDir);
      for (let i = 0; i < SERVICES; i += 1) {
        writeFileSync(join(configDir, `svc_${i}.yaml`), 'exec: sleep 600\nlog: ring\n');
      }
      const module =
        protocol === 'legacy'
          ? await loadDouble('zinit-legacy-double.ts', 'ZinitLegacyDouble')
          : await loadDouble('zinit-jsonrpc-double.ts', 'ZinitJsonRpcDouble');
      const double = await module.start({ configDir });
      const client: ZinitClient =
        protocol === 'legacy'
          ? new LegacyZinitClient(double.socketPath, configDir)
          : new JsonRpcZinitClient(double.socketPath);
      const raw = protocol === 'jsonrpc' ? await RawJsonRpc.open(double.socketPath) : undefined;
      try {
        const rawCall = (command: 'status' | 'list') =>
          raw
            ? raw.call(command === 'status' ? 'service_status' : 'service_list', command === 'status' ? ['svc_0'] : [])
            : rawLegacy(double.socketPath, command === 'status' ? 'status svc_0\n' : 'list\n');
        for (const command of ['status', 'list'] as const) {
          const clientCall = () => (command === 'status' ? client.status('svc_0') : client.list());
          // Alternate halves so that drift hits the client and the floor alike.
          const half = Math.ceil(requests / 2);
          const c1 = await measure(half, clientCall);
          const r1 = await measure(half, () => rawCall(command));
          const c2 = await measure(half, clientCall);
          const r2 = await measure(half, () => rawCall(command));
          const merge = (a: typeof c1, b: typeof c1) => ({
            requestsPerSecond: (a.requestsPerSecond + b.requestsPerSecond) / 2,
            meanRequestsPerSecond: (a.meanRequestsPerSecond + b.meanRequestsPerSecond) / 2,
            p50: (a.p50 + b.p50) / 2,
            p95: Math.max(a.p95, b.p95),
            p99: Math.max(a.p99, b.p99),
          });
          emit({ protocol, command, via: 'client', requests: half * 2, ...merge(c1, c2) });
          emit({ protocol, command, via: 'raw', requests: half * 2, ...merge(r1, r2) });
        }
      } finally {
        raw?.close();
        client.close();
        await double.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
