/**
 * TEST DOUBLE of a Zinit v0.2.28 server speaking JSON-RPC 2.0 on a Unix socket (NOTES §3): persistent connections,
 * input framed by brace counting (newlines optional), one JSON text + `\n` per response, requests handled
 * concurrently (so responses may come out of order: `service_stop` takes ~0.5 s), batches, notifications without
 * answers, `-32700` for non-JSON, v0.2.28 error codes with `data`, `service_stats` from /proc, and log subscriptions.
 * The services run for real (zinit-double-engine.ts).
 */
import { randomInt } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  DoubleError,
  type DoubleErrorKind,
  ZinitDoubleEngine,
  type ZinitDoubleOptions,
} from './zinit-double-engine.js';

export interface ZinitJsonRpcDoubleOptions extends Partial<ZinitDoubleOptions> {
  socketPath?: string;
  /** Monitor every `*.yaml` of the config dir at start. @defaultValue true */
  loadConfigDir?: boolean;
  /** `service_stop`: wait this long after the stop signal before SIGKILL (v0.2.15+ behaviour). @defaultValue 500 */
  stopGraceMs?: number;
}

/** v0.2.28 error codes (src/app/rpc.rs). */
const CODES: Record<DoubleErrorKind | 'already-exists' | 'file-error' | 'invalid-params', [number, string]> = {
  'unknown-service': [-32000, 'ServiceNotFound'],
  'already-monitored': [-32001, 'ServiceAlreadyMonitored'],
  'is-up': [-32002, 'ServiceIsUp'],
  'is-down': [-32003, 'ServiceIsDown'],
  'invalid-signal': [-32004, 'InvalidSignal'],
  'load-failed': [-32005, 'ConfigError'],
  'shutting-down': [-32006, 'ShuttingDown'],
  'already-exists': [-32007, 'ServiceAlreadyExists'],
  'file-error': [-32008, 'ServiceFileError'],
  'invalid-params': [-32602, 'InvalidParams'],
};

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

function rpcError(kind: keyof typeof CODES, action: string, detail: string, service: string | null): RpcError {
  const [code, codeName] = CODES[kind];
  return new RpcError(code, `${action}: ${detail}`, {
    code_name: codeName,
    service,
    action,
    retryable: code === -32001 || code === -32003,
    cause_chain: null,
    hint: null,
  });
}

/** The 0.2.28 wording of an engine refusal: `service 'x' not found`, `service 'x' is up`, ... */
function fromEngine(error: DoubleError, action: string): RpcError {
  const n = error.service;
  const detail: Record<DoubleErrorKind, string> = {
    'unknown-service': `service '${n}' not found`,
    'already-monitored': `service '${n}' already monitored`,
    'is-up': `service '${n}' is up`,
    'is-down': `service '${n}' is down`,
    'invalid-signal': `invalid signal`,
    'load-failed': `failed to load '${n}.yaml'`,
    'shutting-down': 'zinit is shutting down',
  };
  return rpcError(error.kind, action, detail[error.kind], n);
}

/** Splits an incoming byte stream into JSON texts by counting braces/brackets outside strings (reth-ipc StreamCodec). */
export class BraceFramer {
  private buffer = '';

  push(chunk: string): string[] {
    this.buffer += chunk;
    const out: string[] = [];
    let depth = 0;
    let inString = false;
    let escaped = false;
    let start = -1;
    let consumed = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const ch = this.buffer[i] as string;
      if (start === -1) {
        if (/\s/.test(ch)) {
          consumed = i + 1;
          continue;
        }
        if (ch !== '{' && ch !== '[') {
          // Raw text: everything up to the next newline is one (unparsable) message.
          const end = this.buffer.indexOf('\n', i);
          if (end === -1) break;
          out.push(this.buffer.slice(i, end));
          i = end;
          consumed = end + 1;
          continue;
        }
        start = i;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth += 1;
      else if (ch === '}' || ch === ']') {
        depth -= 1;
        if (depth === 0) {
          out.push(this.buffer.slice(start, i + 1));
          start = -1;
          consumed = i + 1;
        }
      }
    }
    this.buffer = this.buffer.slice(consumed);
    return out;
  }
}

const ACTIONS: Record<string, string> = {
  service_status: 'getting status',
  service_start: 'starting service',
  service_stop: 'stopping service',
  service_monitor: 'monitoring service',
  service_forget: 'forgetting service',
  service_kill: 'sending signal',
  service_create: 'creating service',
  service_delete: 'deleting service',
  service_get: 'getting service',
  service_stats: 'getting stats',
};

/** Argument names per method, for by-name params (`{"name": ...}`). */
const PARAM_NAMES: Record<string, string[]> = {
  service_status: ['name'],
  service_start: ['name'],
  service_stop: ['name'],
  service_monitor: ['name'],
  service_forget: ['name'],
  service_kill: ['name', 'signal'],
  service_create: ['name', 'content'],
  service_delete: ['name'],
  service_get: ['name'],
  service_stats: ['name'],
  stream_currentLogs: ['name'],
  stream_subscribeLogs: ['filter'],
  stream_unsubscribeLogs: ['subscription'],
};

const matchesFilter = (line: string, filter: unknown) =>
  typeof filter !== 'string' || line.slice(4).startsWith(`${filter}:`);

export class ZinitJsonRpcDouble {
  readonly socketPath: string;
  readonly configDir: string;
  readonly engine: ZinitDoubleEngine;
  readonly stopGraceMs: number;
  /** Every JSON text received, in order. */
  readonly requests: string[] = [];
  /** How many connections clients opened (the JSON-RPC client should keep ONE). */
  connections = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    socketPath: string,
    configDir: string,
    engine: ZinitDoubleEngine,
    stopGraceMs: number,
    private readonly tempDir: string,
  ) {
    this.socketPath = socketPath;
    this.configDir = configDir;
    this.engine = engine;
    this.stopGraceMs = stopGraceMs;
  }

  static async start(options: ZinitJsonRpcDoubleOptions = {}): Promise<ZinitJsonRpcDouble> {
    const tempDir = mkdtempSync(join(tmpdir(), 'zinit-jsonrpc-double-'));
    const configDir = options.configDir ?? join(tempDir, 'conf');
    if (!options.configDir) mkdirSync(configDir);
    const engine = new ZinitDoubleEngine({ ...options, configDir });
    const double = new ZinitJsonRpcDouble(
      options.socketPath ?? join(tempDir, 'zinit.sock'),
      configDir,
      engine,
      options.stopGraceMs ?? 500,
      tempDir,
    );
    if (options.loadConfigDir ?? true) {
      engine.monitorAll(
        readdirSync(configDir)
          .filter((file) => file.endsWith('.yaml'))
          .map((file) => file.slice(0, -'.yaml'.length)),
      );
    }
    await double.listen();
    return double;
  }

  listen(): Promise<void> {
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops serving and drops every connection; the services keep running. */
  async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.stopListening();
    this.engine.destroy();
    rmSync(this.tempDir, { recursive: true, force: true });
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    this.connections += 1;
    const framer = new BraceFramer();
    const subscriptions = new Map<number, () => void>();
    const send = (message: unknown) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    socket.setEncoding('utf8');
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const unsubscribe of subscriptions.values()) unsubscribe();
    });
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      for (const text of framer.push(chunk)) {
        this.requests.push(text);
        let message: unknown;
        try {
          message = JSON.parse(text);
        } catch {
          send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
          continue;
        }
        if (Array.isArray(message)) {
          void Promise.all(message.map((m) => this.handle(m, send, subscriptions))).then((replies) => {
            const answered = replies.filter((r) => r !== undefined);
            if (answered.length > 0) send(answered);
          });
        } else {
          void this.handle(message, send, subscriptions).then((reply) => reply !== undefined && send(reply));
        }
      }
    });
  }

  /** One request; each runs concurrently, so replies leave in completion order. Notifications get no reply. */
  private async handle(
    message: unknown,
    send: (message: unknown) => void,
    subscriptions: Map<number, () => void>,
  ): Promise<unknown> {
    const request = message as { id?: unknown; method?: unknown; params?: unknown };
    const id = request?.id;
    const isNotification = id === undefined;
    if (typeof request !== 'object' || request === null || typeof request.method !== 'string') {
      return isNotification
        ? undefined
        : { jsonrpc: '2.0', id: id ?? null, error: { code: -32600, message: 'Invalid request' } };
    }
    const method = request.method;
    try {
      const args = this.positional(method, request.params);
      const result = await this.dispatch(method, args, send, subscriptions);
      return isNotification ? undefined : { jsonrpc: '2.0', id, result };
    } catch (error) {
      if (isNotification) return undefined;
      if (error instanceof RpcError) {
        const body: Record<string, unknown> = { code: error.code, message: error.message };
        if (error.data !== undefined) body.data = error.data;
        return { jsonrpc: '2.0', id, error: body };
      }
      return { jsonrpc: '2.0', id, error: { code: -32603, message: 'Internal error' } };
    }
  }

  private positional(method: string, params: unknown): unknown[] {
    if (params === undefined || params === null) return [];
    if (Array.isArray(params)) return params;
    if (typeof params === 'object') {
      // Own keys only: a method called `constructor` has no parameter names, and a missing param is undefined.
      const names = Object.hasOwn(PARAM_NAMES, method) ? PARAM_NAMES[method] : [];
      return names.map((name) => (Object.hasOwn(params, name) ? (params as Record<string, unknown>)[name] : undefined));
    }
    throw new RpcError(-32602, 'Invalid params');
  }

  private requireName(args: unknown[]): string {
    const name = args[0];
    if (typeof name !== 'string') throw new RpcError(-32602, 'Invalid params');
    return name;
  }

  /** monitor/create/delete/get refuse names with `/`, `\` or `.` (v0.2.28: -32602). */
  private requireFileName(method: string, args: unknown[]): string {
    const name = this.requireName(args);
    if (/[./\\]/.test(name))
      throw rpcError('invalid-params', ACTIONS[method] as string, `invalid service name '${name}'`, name);
    return name;
  }

  private async dispatch(
    method: string,
    args: unknown[],
    send: (message: unknown) => void,
    subscriptions: Map<number, () => void>,
  ): Promise<unknown> {
    const action = Object.hasOwn(ACTIONS, method) ? ACTIONS[method] : method;
    try {
      switch (method) {
        case 'rpc.discover':
          // v0.2.26+: the OpenRPC document as a JSON string.
          return JSON.stringify({
            openrpc: '1.2.6',
            info: { title: 'Zinit JSON-RPC API (test double)', version: '0.2.28' },
          });
        case 'service_list':
          return this.engine.list();
        case 'service_status':
          return this.engine.status(this.requireName(args));
        case 'service_start':
          this.engine.start(this.requireName(args));
          return null;
        case 'service_stop':
          await this.engine.stopAndEscalate(this.requireName(args), this.stopGraceMs);
          return null;
        case 'service_monitor':
          this.engine.monitor(this.requireFileName(method, args));
          return null;
        case 'service_forget':
          this.engine.forget(this.requireName(args));
          return null;
        case 'service_kill': {
          const name = this.requireName(args);
          const signal = args[1];
          if (typeof signal !== 'string') throw new RpcError(-32602, 'Invalid params');
          try {
            this.engine.kill(name, signal);
          } catch (error) {
            if (error instanceof DoubleError && error.kind === 'invalid-signal') {
              throw rpcError('invalid-signal', 'parsing signal', `invalid signal '${signal}'`, name);
            }
            throw error;
          }
          return null;
        }
        case 'service_create': {
          const name = this.requireFileName(method, args);
          const content = args[1];
          if (typeof content !== 'object' || content === null || Array.isArray(content))
            throw new RpcError(-32602, 'Invalid params');
          const path = join(this.configDir, `${name}.yaml`);
          if (existsSync(path)) throw rpcError('already-exists', action, `Service '${name}' already exists`, name);
          writeFileSync(path, stringifyYaml(content));
          return `Service '${name}' created successfully`;
        }
        case 'service_delete': {
          const name = this.requireFileName(method, args);
          const path = join(this.configDir, `${name}.yaml`);
          if (!existsSync(path)) throw rpcError('unknown-service', action, `Service '${name}' not found`, name);
          unlinkSync(path);
          return `Service '${name}' deleted successfully`;
        }
        case 'service_get': {
          const name = this.requireFileName(method, args);
          const path = join(this.configDir, `${name}.yaml`);
          if (!existsSync(path)) throw rpcError('unknown-service', action, `Service '${name}' not found`, name);
          return parseYaml(readFileSync(path, 'utf8'));
        }
        case 'service_stats':
          return this.stats(this.requireName(args));
        case 'stream_currentLogs':
          return this.engine.logSnapshot().filter((line) => matchesFilter(line, args[0]));
        case 'stream_subscribeLogs': {
          const subscription = randomInt(1, 2 ** 47);
          const filter = args[0];
          const unsubscribe = this.engine.onLogLine((line) => {
            if (matchesFilter(line, filter)) {
              send({ jsonrpc: '2.0', method: 'stream_subscribeLogs', params: { subscription, result: line } });
            }
          });
          subscriptions.set(subscription, unsubscribe);
          return subscription;
        }
        case 'stream_unsubscribeLogs': {
          const subscription = Number(args[0]);
          subscriptions.get(subscription)?.();
          return subscriptions.delete(subscription);
        }
        case 'system_shutdown':
        case 'system_reboot':
          void this.engine.shutdown().then(() => this.stopListening());
          return null;
        default:
          throw new RpcError(-32601, 'Method not found');
      }
    } catch (error) {
      if (error instanceof DoubleError) throw fromEngine(error, action);
      throw error;
    }
  }

  /** `service_stats`: memory in bytes (VmRSS), CPU percent over a 100 ms sample, children by parent pid. */
  private async stats(name: string): Promise<unknown> {
    const status = this.engine.status(name);
    if (status.pid === 0) throw rpcError('is-down', 'getting stats', `service '${name}' is down`, name);
    const pid = status.pid;
    const children = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((candidate) => readStat(candidate)?.ppid === pid);
    const before = [pid, ...children].map((p) => readStat(p)?.ticks ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = [pid, ...children].map((p) => readStat(p)?.ticks ?? 0);
    // 100 clock ticks per second on Linux: ticks over 0.1 s × 100 = percent of one CPU.
    const cpu = (i: number) => ((after[i] as number) - (before[i] as number)) * 10;
    return {
      name,
      pid,
      memory_usage: readRss(pid),
      cpu_usage: cpu(0),
      children: children.map((child, index) => ({
        pid: child,
        memory_usage: readRss(child),
        cpu_usage: cpu(index + 1),
      })),
    };
  }
}

function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function readRss(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
