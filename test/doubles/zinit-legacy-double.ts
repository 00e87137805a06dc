/**
 * TEST DOUBLE of a Zinit v0.2.14 server speaking the LEGACY line protocol on a Unix socket (NOTES §2): one line per
 * connection, shlex-parsed, answered with `{"state":"ok"|"error","body":...}` WITHOUT a trailing newline, then closed.
 * `log` / `log snapshot` stream ring lines. Error strings are byte-exact with transcripts 02, 03, 09 and 13.
 * The services run for real (zinit-double-engine.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitShellWords } from '../../src/process/zinit/shell-words.js';
import { DoubleError, ZinitDoubleEngine, type ZinitDoubleOptions } from './zinit-double-engine.js';

export interface ZinitLegacyDoubleOptions extends Partial<ZinitDoubleOptions> {
  /** @defaultValue a fresh temp dir */
  socketPath?: string;
  /** Monitor every `*.yaml` of the config dir at start, like `zinit init`. @defaultValue true */
  loadConfigDir?: boolean;
  /** Split every envelope reply into chunks (see ReplyChunking). @defaultValue one write, as Zinit does */
  replyChunks?: ReplyChunking;
}

/**
 * How the double writes an envelope reply: in pieces of `bytes` bytes (so a multi-byte UTF-8 character can be cut),
 * `delayMs` apart, then closes. A real Zinit's long reply (a big `list`) reaches the client in several reads: only EOF
 * ends a legacy reply, so a client that stops at the first chunk gets half an envelope.
 */
export interface ReplyChunking {
  bytes: number;
  delayMs: number;
}

type Reply = { state: 'ok'; body: unknown } | { state: 'error'; body: string };

export class ZinitLegacyDouble {
  readonly socketPath: string;
  readonly configDir: string;
  readonly engine: ZinitDoubleEngine;
  /** How many connections clients opened (legacy: one per command). */
  connections = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly tempDir: string | undefined;
  /** Every request line received, in order, as raw text (for asserting what a client sent). */
  readonly requests: string[] = [];
  /** How envelope replies are written; may be changed while serving. */
  replyChunks: ReplyChunking | undefined;

  private constructor(socketPath: string, configDir: string, engine: ZinitDoubleEngine, tempDir?: string) {
    this.socketPath = socketPath;
    this.configDir = configDir;
    this.engine = engine;
    this.tempDir = tempDir;
  }

  static async start(options: ZinitLegacyDoubleOptions = {}): Promise<ZinitLegacyDouble> {
    const tempDir = mkdtempSync(join(tmpdir(), 'zinit-legacy-double-'));
    const configDir = options.configDir ?? join(tempDir, 'conf');
    if (!options.configDir) mkdirSync(configDir);
    const engine = new ZinitDoubleEngine({ ...options, configDir });
    const double = new ZinitLegacyDouble(options.socketPath ?? join(tempDir, 'zinit.sock'), configDir, engine, tempDir);
    double.replyChunks = options.replyChunks;
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

  /** Starts serving the socket (again). Zinit serves only after the initial monitors, as here. */
  listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops serving: the socket file disappears (ENOENT for clients). The services keep running. */
  async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops serving and kills every process the double started. */
  async close(): Promise<void> {
    await this.stopListening();
    this.engine.destroy();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    this.connections += 1;
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const chunks: Buffer[] = [];
    let handled = false;
    const handle = () => {
      if (handled) return;
      handled = true;
      const all = Buffer.concat(chunks);
      const newline = all.indexOf(0x0a);
      // read_line: up to and including the first `\n`, or everything at EOF. Anything after it is ignored.
      const lineBytes = newline === -1 ? all : all.subarray(0, newline + 1);
      let prefix = '';
      let line: string;
      try {
        line = new TextDecoder('utf-8', { fatal: true }).decode(lineBytes);
      } catch {
        // Zinit writes `bad request`, then still processes the (empty) line (13 [1]).
        prefix = 'bad request';
        line = '';
      }
      this.requests.push(line);
      this.process(line, socket, prefix);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(0x0a)) handle();
    });
    // Without `\n` the server waits; a half-close (EOF) makes read_line return (02 [27], [28]).
    socket.on('end', handle);
  }

  private reply(socket: Socket, reply: Reply, prefix = ''): void {
    const bytes = Buffer.from(prefix + JSON.stringify(reply), 'utf8');
    const chunking = this.replyChunks;
    if (!chunking) {
      socket.end(bytes);
      return;
    }
    const writeFrom = (offset: number) => {
      if (socket.destroyed) return;
      const end = Math.min(bytes.length, offset + Math.max(1, chunking.bytes));
      socket.write(bytes.subarray(offset, end));
      if (end >= bytes.length) socket.end();
      else setTimeout(() => writeFrom(end), chunking.delayMs);
    };
    writeFrom(0);
  }

  private process(line: string, socket: Socket, prefix: string): void {
    const outcome = this.dispatch(line, socket);
    if (outcome !== 'streaming') this.reply(socket, outcome, prefix);
  }

  /** Api::process of v0.2.14: exact argument counts, exact error strings. */
  private dispatch(line: string, socket: Socket): Reply | 'streaming' {
    const words = splitShellWords(line);
    if (words === undefined) return { state: 'error', body: 'invalid command syntax' };
    if (words.length === 0) return { state: 'error', body: 'unknown command' };
    const [command, ...args] = words as [string, ...string[]];
    const [name = '', extra = ''] = args;
    const ok = (body: unknown = null): Reply => ({ state: 'ok', body });
    try {
      if (command === 'list') return ok(this.engine.list());
      if (command === 'shutdown' || command === 'reboot') {
        void this.engine.shutdown().then(() => this.stopListening());
        return ok();
      }
      if (command === 'log') {
        if (args.length === 0) return this.streamLog(socket, true);
        if (args.length === 1 && name === 'snapshot') return this.streamLog(socket, false);
        return { state: 'error', body: 'invalid log command arguments' };
      }
      if (args.length === 1) {
        switch (command) {
          case 'status':
            return ok(this.engine.status(name));
          case 'start':
            this.engine.start(name);
            return ok();
          case 'stop':
            this.engine.stop(name);
            return ok();
          case 'forget':
            this.engine.forget(name);
            return ok();
          case 'monitor':
            this.engine.monitor(name);
            return ok();
        }
      }
      if (command === 'kill' && args.length === 2) {
        this.engine.kill(name, extra);
        return ok();
      }
      return { state: 'error', body: `unknown command '${command}' or wrong arguments count` };
    } catch (error) {
      if (error instanceof DoubleError) return { state: 'error', body: error.message };
      throw error;
    }
  }

  /** `log` output is plain text lines, not the envelope: the ring, then (follow) every new line until the client closes. */
  private streamLog(socket: Socket, follow: boolean): 'streaming' {
    for (const line of this.engine.logSnapshot()) socket.write(`${line}\n`);
    if (!follow) {
      socket.end();
      return 'streaming';
    }
    const unsubscribe = this.engine.onLogLine((line) => socket.write(`${line}\n`));
    socket.on('close', unsubscribe);
    return 'streaming';
  }
}
