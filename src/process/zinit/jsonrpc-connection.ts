/**
 * Transport for Zinit's JSON-RPC protocol: ONE long-lived connection carrying pipelined requests, responses matched
 * by `id` (they may arrive out of order). When the connection drops, pending calls fail with BackendUnavailableError
 * and the next call reconnects; failed connects are retried with exponential backoff (calls in the backoff window fail
 * at once with the last error instead of hanging).
 */
import { connect, type Socket } from 'node:net';
import { BackendUnavailableError, ZinitCommandError, ZinitProtocolError } from '../../errors.js';
import { type Clock, systemClock } from '../../lifecycle/clock.js';
import { decodeJsonRpcMessage, encodeJsonRpcRequest, jsonRpcErrorKind } from './jsonrpc-protocol.js';
import { zinitUnavailableError } from './socket-errors.js';

/** `service_stop` blocks about 1 s and `service_stats` about 1 s server-side (NOTES §3.2); 30 s as zinit-client uses. */
export const JSONRPC_REQUEST_TIMEOUT_MS = 30_000;
/** First reconnect delay after a failed connect, doubled per failure up to the maximum. */
export const RECONNECT_BACKOFF_INITIAL_MS = 100;
export const RECONNECT_BACKOFF_MAX_MS = 2_000;

interface PendingCall {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface SubscriptionHandlers {
  onItem: (item: unknown) => void;
  /** The connection dropped: the subscription is gone. */
  onEnd: (error?: Error) => void;
}

export class JsonRpcZinitConnection {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly pending = new Map<number, PendingCall>();
  private readonly subscriptions = new Map<string, SubscriptionHandlers>();
  private nextId = 1;
  private buffer = '';
  private connectFailures = 0;
  private retryAt = 0;
  private lastConnectError: Error | undefined;
  private closed = false;

  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = JSONRPC_REQUEST_TIMEOUT_MS,
    /** Reconnect backoff is measured on it (the manager's injected clock). */
    private readonly clock: Clock = systemClock,
  ) {}

  async call(method: string, params: unknown[] | Record<string, unknown> = []): Promise<unknown> {
    const socket = await this.ensureConnected();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new BackendUnavailableError(
            `Zinit at ${this.socketPath} did not answer ${method} within ${this.timeoutMs} ms.`,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      socket.write(encodeJsonRpcRequest(id, method, params));
    });
  }

  /** Calls a subscribe method; the result is the subscription id, items arrive as notifications. */
  async subscribe(method: string, params: unknown[] | Record<string, unknown>, handlers: SubscriptionHandlers) {
    const id = String(await this.call(method, params));
    this.subscriptions.set(id, handlers);
    return {
      id,
      unsubscribe: async (unsubscribeMethod: string) => {
        if (!this.subscriptions.delete(id)) return;
        await this.call(unsubscribeMethod, [Number.isNaN(Number(id)) ? id : Number(id)]).catch(() => undefined);
      },
    };
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.dropConnection(new BackendUnavailableError('The Zinit client was closed.'));
  }

  private ensureConnected(): Promise<Socket> {
    if (this.closed) return Promise.reject(new BackendUnavailableError('The Zinit client was closed.'));
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    if (this.clock.now() < this.retryAt && this.lastConnectError) return Promise.reject(this.lastConnectError);
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const socket = connect(this.socketPath);
      socket.setEncoding('utf8');
      const onError = (error: Error) => {
        this.connecting = undefined;
        this.connectFailures += 1;
        const delay = Math.min(
          RECONNECT_BACKOFF_INITIAL_MS * 2 ** (this.connectFailures - 1),
          RECONNECT_BACKOFF_MAX_MS,
        );
        this.retryAt = this.clock.now() + delay;
        this.lastConnectError = zinitUnavailableError(this.socketPath, error);
        reject(this.lastConnectError);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        this.connecting = undefined;
        this.connectFailures = 0;
        this.lastConnectError = undefined;
        this.socket = socket;
        this.buffer = '';
        socket.on('data', (chunk: string) => this.onData(chunk));
        socket.on('error', (error) => this.onSocketGone(socket, zinitUnavailableError(this.socketPath, error)));
        socket.on('close', () => {
          // A legacy Zinit answers a JSON object with an error envelope, no newline, and closes: wrong protocol, not
          // an outage (Zinit was downgraded or replaced). Otherwise the server went away.
          const leftover = this.buffer.trim();
          this.onSocketGone(
            socket,
            leftover.startsWith('{"state":')
              ? new ZinitProtocolError(
                  `Zinit at ${this.socketPath} answered in the legacy line protocol (v0.2.14 or older).`,
                )
              : new BackendUnavailableError(`Zinit at ${this.socketPath} closed the connection. Is it restarting?`),
          );
        });
        resolve(socket);
      });
    });
    return this.connecting;
  }

  private onSocketGone(socket: Socket, error: Error): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.destroy();
    this.dropConnection(error);
  }

  private dropConnection(error: Error): void {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(id);
      call.reject(error);
    }
    for (const [id, handlers] of this.subscriptions) {
      this.subscriptions.delete(id);
      handlers.onEnd(error);
    }
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') this.onMessage(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private onMessage(line: string): void {
    let message: ReturnType<typeof decodeJsonRpcMessage>;
    try {
      message = decodeJsonRpcMessage(line);
    } catch {
      return; // Not for us (a stray line); pending calls time out rather than guess.
    }
    if (message.kind === 'notification') {
      const params = message.params as { subscription?: unknown; result?: unknown } | undefined;
      const handlers = this.subscriptions.get(String(params?.subscription));
      handlers?.onItem(params?.result);
      return;
    }
    const call = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!call) return;
    this.pending.delete(message.id as number);
    clearTimeout(call.timer);
    if (message.kind === 'response') call.resolve(message.result);
    else {
      const kind = jsonRpcErrorKind(message.error, call.method);
      call.reject(
        new ZinitCommandError(
          call.method,
          kind,
          `Zinit refused ${call.method}: ${message.error.message} (code ${message.error.code})`,
          message.error.code,
        ),
      );
    }
  }
}
