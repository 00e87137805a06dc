/**
 * One small interface over both Zinit protocols, so the process manager holds no wire details:
 * LegacyZinitClient (one command per connection, config files written by us) and JsonRpcZinitClient
 * (persistent connection, `service_create`). Refusals become ZinitCommandError with a `kind`;
 * an unknown service becomes UnknownServiceError.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnknownServiceError, ZinitCommandError, ZinitProtocolError } from '../../errors.js';
import { type Clock, systemClock } from '../../lifecycle/clock.js';
import { JsonRpcZinitConnection } from './jsonrpc-connection.js';
import { LegacyZinitConnection } from './legacy-connection.js';
import { classifyLegacyError, decodeLegacyReply, encodeLegacyCommand, serviceLogText } from './legacy-protocol.js';
import { renderServiceYaml, type ZinitServiceConfig } from './service-yaml.js';

/** `status` as Zinit returns it (same shape in both protocols). */
export interface ZinitRawStatus {
  name: string;
  pid: number;
  state: string;
  target: 'Up' | 'Down';
  after: Record<string, string>;
}

/** CPU and memory of a service's process and its children (JSON-RPC `service_stats`). */
export interface ZinitServiceStats {
  name: string;
  pid: number;
  /** Bytes of resident memory. */
  memoryUsage: number;
  /** Percent of one CPU. */
  cpuUsage: number;
  children: { pid: number; memoryUsage: number; cpuUsage: number }[];
}

export interface ZinitClient {
  readonly protocol: 'legacy' | 'jsonrpc';
  /**
   * Every monitored service and its state string. A Map, not the parsed object: a service may be named `toString`,
   * `constructor` or `__proto__`, which `name in object` would take for monitored.
   */
  list(): Promise<ReadonlyMap<string, string>>;
  status(name: string): Promise<ZinitRawStatus>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  monitor(name: string): Promise<void>;
  forget(name: string): Promise<void>;
  kill(name: string, signal: string): Promise<void>;
  /** Writes the service config (legacy: `<name>.yaml`, atomically; JSON-RPC: `service_create`), replacing any. */
  writeConfig(name: string, config: ZinitServiceConfig): Promise<void>;
  /** True when the stored config equals `config` (then nothing needs rewriting). */
  configMatches(name: string, config: ZinitServiceConfig): Promise<boolean>;
  deleteConfig(name: string): Promise<void>;
  /** The service's lines in the ring (at most the last `tail`), then, with `follow`, new lines until `signal` aborts. */
  logs(name: string, options: { tail?: number; follow?: boolean }, signal: AbortSignal): AsyncIterable<string>;
  stats(name: string): Promise<ZinitServiceStats | undefined>;
  close(): void;
}

/**
 * Turns the `list` reply (`{ "<name>": "<state>" }`, same in both protocols) into a Map once. JSON.parse keeps a
 * `__proto__` key as an own property, and Object.entries reads own properties only, so every name survives.
 */
export function toServiceList(body: unknown, request: string): ReadonlyMap<string, string> {
  if (body === null || body === undefined) return new Map();
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ZinitProtocolError(
      `Zinit answered \`${request}\` with ${JSON.stringify(body)}, not a map of service states.`,
    );
  }
  return new Map(Object.entries(body).map(([name, state]) => [name, String(state)]));
}

function toRawStatus(body: unknown, name: string): ZinitRawStatus {
  const s = body as Partial<ZinitRawStatus> | null;
  if (!s || typeof s.state !== 'string' || typeof s.pid !== 'number') {
    throw new ZinitProtocolError(`Zinit returned a status for "${name}" without state/pid: ${JSON.stringify(body)}`);
  }
  return {
    name: s.name ?? name,
    pid: s.pid,
    state: s.state,
    target: s.target === 'Down' ? 'Down' : 'Up',
    after: s.after ?? {},
  };
}

// ---- legacy -----------------------------------------------------------------------------------------------------

export class LegacyZinitClient implements ZinitClient {
  readonly protocol = 'legacy';
  private readonly connection: LegacyZinitConnection;

  constructor(
    socketPath: string,
    private readonly configDir: string,
  ) {
    this.connection = new LegacyZinitConnection(socketPath);
  }

  private async command(words: string[], service?: string): Promise<unknown> {
    const line = encodeLegacyCommand(words);
    const reply = decodeLegacyReply(await this.connection.exchange(line), line.trim());
    if (reply.ok) return reply.body;
    const kind = classifyLegacyError(reply.message);
    if (kind === 'unknown-service' && service !== undefined) {
      throw new UnknownServiceError(service, { cause: new ZinitCommandError(line.trim(), kind, reply.message) });
    }
    throw new ZinitCommandError(line.trim(), kind, `Zinit refused \`${line.trim()}\`: ${reply.message}`);
  }

  async list() {
    return toServiceList(await this.command(['list']), 'list');
  }
  async status(name: string) {
    return toRawStatus(await this.command(['status', name], name), name);
  }
  async start(name: string) {
    await this.command(['start', name], name);
  }
  async stop(name: string) {
    await this.command(['stop', name], name);
  }
  async monitor(name: string) {
    await this.command(['monitor', name]);
  }
  async forget(name: string) {
    await this.command(['forget', name], name);
  }
  async kill(name: string, signal: string) {
    await this.command(['kill', name, signal], name);
  }

  private configPath(name: string) {
    return join(this.configDir, `${name}.yaml`);
  }

  async writeConfig(name: string, config: ZinitServiceConfig) {
    // Temp file + rename: Zinit never reads a half-written file. The temp name does not end in `.yaml`, so a Zinit
    // (re)start scanning the directory never loads it either. 0o600: env values may be secrets.
    const temp = join(this.configDir, `.${name}.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, renderServiceYaml(config), { mode: 0o600, flag: 'wx' });
      await rename(temp, this.configPath(name));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async configMatches(name: string, config: ZinitServiceConfig) {
    try {
      return (await readFile(this.configPath(name), 'utf8')) === renderServiceYaml(config);
    } catch {
      return false;
    }
  }

  async deleteConfig(name: string) {
    await rm(this.configPath(name), { force: true });
  }

  /**
   * `log snapshot` for what is there; with `follow`, `log`, which dumps the whole ring again before following: its
   * prefix is skipped while it repeats the snapshot line for line, so no line is lost or doubled in between.
   */
  async *logs(name: string, options: { tail?: number; follow?: boolean }, signal: AbortSignal) {
    const snapshot: string[] = [];
    for await (const line of this.connection.logLines(false)) snapshot.push(line);
    const own = snapshot.map((line) => serviceLogText(line, name)).filter((text): text is string => text !== undefined);
    yield* takeTail(own, options.tail);
    if (!options.follow) return;
    let skipped = 0;
    for await (const line of this.connection.logLines(true, signal)) {
      if (skipped < snapshot.length && line === snapshot[skipped]) {
        skipped += 1;
        continue;
      }
      skipped = snapshot.length;
      const text = serviceLogText(line, name);
      if (text !== undefined) yield text;
    }
  }

  async stats() {
    return undefined;
  }

  close() {}
}

// ---- JSON-RPC ---------------------------------------------------------------------------------------------------

export class JsonRpcZinitClient implements ZinitClient {
  readonly protocol = 'jsonrpc';
  private readonly connection: JsonRpcZinitConnection;

  constructor(socketPath: string, clock: Clock = systemClock) {
    this.connection = new JsonRpcZinitConnection(socketPath, undefined, clock);
  }

  /** Calls a method on one service; an unknown name becomes UnknownServiceError (code -32000, or by asking `list`). */
  private async callFor(method: string, name: string, extra: unknown[] = []): Promise<unknown> {
    try {
      return await this.connection.call(method, [name, ...extra]);
    } catch (error) {
      if (!(error instanceof ZinitCommandError)) throw error;
      // v0.2.15–v0.2.27 report most failures as a bare -32603: ask the service table whether the name exists.
      const unknown =
        error.kind === 'unknown-service' ||
        (error.kind === 'internal' && method !== 'service_monitor' && !(await this.list()).has(name));
      if (unknown && method !== 'service_get' && method !== 'service_delete') {
        throw new UnknownServiceError(name, { cause: error });
      }
      throw error;
    }
  }

  async list() {
    return toServiceList(await this.connection.call('service_list', []), 'service_list');
  }
  async status(name: string) {
    return toRawStatus(await this.callFor('service_status', name), name);
  }
  async start(name: string) {
    await this.callFor('service_start', name);
  }
  async stop(name: string) {
    await this.callFor('service_stop', name);
  }
  async monitor(name: string) {
    await this.callFor('service_monitor', name);
  }
  async forget(name: string) {
    await this.callFor('service_forget', name);
  }
  async kill(name: string, signal: string) {
    await this.callFor('service_kill', name, [signal]);
  }

  async writeConfig(name: string, config: ZinitServiceConfig) {
    // service_create refuses an existing file (-32007), so replace = delete + create.
    await this.deleteConfig(name);
    await this.connection.call('service_create', [name, config]);
  }

  async configMatches(name: string, config: ZinitServiceConfig) {
    try {
      const stored = await this.connection.call('service_get', [name]);
      return sameJson(stored, config);
    } catch (error) {
      if (error instanceof ZinitCommandError) return false;
      throw error;
    }
  }

  async deleteConfig(name: string) {
    try {
      await this.connection.call('service_delete', [name]);
    } catch (error) {
      if (!(error instanceof ZinitCommandError)) throw error;
    }
  }

  /**
   * `stream_currentLogs` for what is there; with `follow`, `stream_subscribeLogs` (only NEW lines). The subscription is
   * made first and its lines held back until the snapshot is out, so none falls between the two.
   */
  async *logs(name: string, options: { tail?: number; follow?: boolean }, signal: AbortSignal) {
    if (!options.follow) {
      const lines = ((await this.connection.call('stream_currentLogs', [name])) ?? []) as string[];
      yield* takeTail(ownLines(lines, name), options.tail);
      return;
    }
    const queue: string[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const subscription = await this.connection.subscribe(
      'stream_subscribeLogs',
      { filter: name },
      {
        onItem: (item) => {
          const text = typeof item === 'string' ? serviceLogText(item.replace(/\n$/, ''), name) : undefined;
          if (text !== undefined) {
            queue.push(text);
            notify();
          }
        },
        onEnd: (error) => {
          failure = error;
          ended = true;
          notify();
        },
      },
    );
    const onAbort = () => {
      ended = true;
      notify();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const lines = ((await this.connection.call('stream_currentLogs', [name])) ?? []) as string[];
      const snapshot = ownLines(lines, name);
      // Lines that arrived on the subscription before the snapshot was taken are in both: the longest queue prefix
      // that equals the snapshot's end is dropped.
      for (let overlap = Math.min(queue.length, snapshot.length); overlap > 0; overlap -= 1) {
        if (queue.slice(0, overlap).every((line, i) => line === snapshot[snapshot.length - overlap + i])) {
          queue.splice(0, overlap);
          break;
        }
      }
      yield* takeTail(snapshot, options.tail);
      for (;;) {
        while (queue.length > 0) yield queue.shift() as string;
        if (ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (failure && !signal.aborted) throw failure;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await subscription.unsubscribe('stream_unsubscribeLogs');
    }
  }

  async stats(name: string): Promise<ZinitServiceStats | undefined> {
    const raw = (await this.callFor('service_stats', name)) as {
      name?: string;
      pid?: number;
      memory_usage?: number;
      cpu_usage?: number;
      children?: { pid: number; memory_usage: number; cpu_usage: number }[];
    } | null;
    if (!raw) return undefined;
    return {
      name: raw.name ?? name,
      pid: raw.pid ?? 0,
      memoryUsage: raw.memory_usage ?? 0,
      cpuUsage: raw.cpu_usage ?? 0,
      children: (raw.children ?? []).map((c) => ({ pid: c.pid, memoryUsage: c.memory_usage, cpuUsage: c.cpu_usage })),
    };
  }

  close() {
    this.connection.close();
  }
}

function takeTail(lines: string[], tail: number | undefined): string[] {
  if (tail === undefined) return lines;
  return tail <= 0 ? [] : lines.slice(-tail);
}

function ownLines(lines: string[], name: string): string[] {
  return lines.map((line) => serviceLogText(line, name)).filter((text): text is string => text !== undefined);
}

/** Structural equality of JSON values, ignoring key order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
