/**
 * The session with one Zinit socket: which protocol client to use, and whether Zinit is reachable. Its state is one
 * discriminated union (a small statechart, drawn in README.md beside this file):
 *
 *   detached ──call──▶ attached ──unreachable──▶ unreachable ──success (or restore() by the poller)──▶ attached
 *   attached ──garbage reply──▶ detached (redetect)            any ──close()──▶ closed
 *
 * Each transition that matters to a user is reported once: `backend.unavailable` when Zinit is lost, and
 * `backend.restored` when it is back (after the protocol was detected again: it may have come back as another
 * version).
 */
import type { Logger } from 'pino';
import { BackendUnavailableError, ZinitCommandError, ZinitProtocolError } from '../../errors.js';
import type { Clock } from '../../lifecycle/clock.js';
import { protocolOf, type ZinitProtocol } from './detect-protocol.js';
import { JsonRpcZinitClient, LegacyZinitClient, type ZinitClient } from './zinit-client.js';

/** The client's view of Zinit itself: lost (socket gone, refused, closed) and back (reconnected and resynced). */
export type ZinitBackendEvent =
  | { type: 'backend.unavailable'; socketPath: string; reason: string; at: number }
  | { type: 'backend.restored'; socketPath: string; protocol: ZinitProtocol; at: number };

export type ZinitSessionState =
  /** No client: the next call detects the protocol, afresh when `redetect` (the last reply was garbage). */
  | { readonly kind: 'detached'; readonly redetect: boolean }
  /** A client for the detected protocol (still detecting while the promise is pending); Zinit answered last time. */
  | { readonly kind: 'attached'; readonly client: Promise<ZinitClient> }
  /**
   * The last attempt to reach Zinit failed; reported once. Calls still try (the client, when there is one, else a
   * fresh detection): Zinit may be back at any time.
   */
  | {
      readonly kind: 'unreachable';
      readonly client: Promise<ZinitClient> | undefined;
      readonly reason: string;
      readonly since: number;
    }
  /** close() was called: every call is refused. */
  | { readonly kind: 'closed' };

export interface ZinitSessionOptions {
  socketPath: string;
  configDir: string;
  protocol: 'auto' | ZinitProtocol;
  clock: Clock;
  logger?: Logger | undefined;
  /**
   * True while a poller resyncs after an outage (it calls restore() once its `list` answered). Without one, the
   * first call that succeeds is enough to say that Zinit is back.
   */
  resyncedElsewhere: () => boolean;
}

/** While Zinit is unreachable the poller backs off, doubling from the poll interval up to this. */
export const RESYNC_BACKOFF_MAX_MS = 2_000;

/** The poller's next delay: the interval while Zinit answers, doubling per failed poll up to RESYNC_BACKOFF_MAX_MS. */
export function nextPollDelayMs(pollIntervalMs: number, consecutiveFailures: number): number {
  if (consecutiveFailures === 0) return pollIntervalMs;
  return Math.min(pollIntervalMs * 2 ** consecutiveFailures, Math.max(RESYNC_BACKOFF_MAX_MS, pollIntervalMs));
}

export class ZinitSession {
  readonly #options: ZinitSessionOptions;
  #state: ZinitSessionState = { kind: 'detached', redetect: false };
  readonly #listeners = new Set<(event: ZinitBackendEvent) => void>();

  constructor(options: ZinitSessionOptions) {
    this.#options = options;
  }

  get state(): ZinitSessionState {
    return this.#state;
  }

  get isUnreachable(): boolean {
    return this.#state.kind === 'unreachable';
  }

  /** Listens to Zinit going away and coming back. Returns an unsubscribe function. */
  subscribe(listener: (event: ZinitBackendEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The client for the current protocol, detecting it first when needed. Does not change reachability. */
  client(): Promise<ZinitClient> {
    const state = this.#state;
    switch (state.kind) {
      case 'closed':
        return Promise.reject(new BackendUnavailableError('The Zinit process manager was closed.'));
      case 'attached':
        return state.client;
      case 'unreachable': {
        if (state.client) return state.client;
        // After an outage, detect afresh: Zinit may come back as another version.
        const client = this.#connect(true);
        this.#state = { ...state, client };
        return client;
      }
      case 'detached': {
        const client = this.#connect(state.redetect);
        this.#state = { kind: 'attached', client };
        return client;
      }
    }
  }

  /** Runs one operation; a lost Zinit is reported (once per outage) and the error rethrown. */
  async call<T>(operation: (client: ZinitClient) => Promise<T>): Promise<T> {
    const pending = this.client();
    let client: ZinitClient;
    try {
      client = await pending;
    } catch (error) {
      if (error instanceof BackendUnavailableError) this.#noteUnreachable(error);
      throw error;
    }
    try {
      const result = await operation(client);
      if (this.#state.kind === 'unreachable' && !this.#options.resyncedElsewhere()) {
        this.#state = { kind: 'attached', client: pending };
        this.#emitRestored(client.protocol);
      }
      return result;
    } catch (error) {
      if (error instanceof BackendUnavailableError) this.#noteUnreachable(error);
      else if (error instanceof ZinitProtocolError && !(error instanceof ZinitCommandError)) {
        // Garbage instead of a reply: maybe another Zinit version listens there now. Detect again next time.
        client.close();
        this.#forget(pending, true);
      }
      throw error;
    }
  }

  /**
   * Called by the poller when its `list` answered after an outage, before it resyncs: detects the protocol again
   * (Zinit may have been upgraded), replaces the client if it changed, and reports Zinit back.
   */
  async restore(): Promise<void> {
    const state = this.#state;
    if (state.kind !== 'unreachable') return;
    let pending = state.client;
    if (pending && this.#options.protocol === 'auto') {
      const current = await pending;
      const detected = await protocolOf(this.#options.socketPath, { refresh: true }).catch(() => current.protocol);
      if (detected !== current.protocol) {
        current.close();
        pending = undefined;
      }
    }
    if (this.#state.kind !== 'unreachable') return; // closed meanwhile
    // Just detected: the per-socket cache holds the current protocol.
    const client = pending ?? this.#connect(false);
    this.#state = { kind: 'attached', client };
    const { protocol } = await client;
    this.#options.logger?.info({ protocol }, 'zinit reachable again; resynced');
    this.#emitRestored(protocol);
  }

  /**
   * Refuses every call from now on; once `drain` (work in flight) has settled, closes the client. Zinit keeps
   * running whatever it runs.
   */
  async close(drain: Promise<unknown> = Promise.resolve()): Promise<void> {
    const state = this.#state;
    this.#state = { kind: 'closed' };
    await drain.catch(() => undefined);
    const pending = state.kind === 'attached' || state.kind === 'unreachable' ? state.client : undefined;
    (await pending?.catch(() => undefined))?.close();
    this.#listeners.clear();
  }

  #connect(refresh: boolean): Promise<ZinitClient> {
    const { socketPath, configDir, protocol: forced, logger, clock } = this.#options;
    const pending = (async () => {
      const protocol = forced === 'auto' ? await protocolOf(socketPath, { refresh }) : forced;
      logger?.debug({ protocol }, 'zinit protocol selected');
      return protocol === 'legacy'
        ? new LegacyZinitClient(socketPath, configDir)
        : new JsonRpcZinitClient(socketPath, clock);
    })();
    // A failed detection leaves no client behind: the next call detects again. (This reaction runs before the
    // caller's, so the caller sees the session without the failed client.)
    pending.catch(() => this.#forget(pending, false));
    return pending;
  }

  /** Drops `pending` if it is still the session's client. */
  #forget(pending: Promise<ZinitClient>, redetect: boolean): void {
    const state = this.#state;
    if (state.kind === 'attached' && state.client === pending) this.#state = { kind: 'detached', redetect };
    else if (state.kind === 'unreachable' && state.client === pending) this.#state = { ...state, client: undefined };
  }

  #noteUnreachable(error: unknown): void {
    const state = this.#state;
    if (state.kind === 'unreachable' || state.kind === 'closed') return;
    const reason = error instanceof Error ? error.message : String(error);
    const since = this.#options.clock.now();
    this.#state = {
      kind: 'unreachable',
      client: state.kind === 'attached' ? state.client : undefined,
      reason,
      since,
    };
    this.#options.logger?.warn({ err: error }, 'zinit unreachable; will reconnect and resync');
    this.#emit({ type: 'backend.unavailable', socketPath: this.#options.socketPath, reason, at: since });
  }

  #emitRestored(protocol: ZinitProtocol): void {
    const at = this.#options.clock.now();
    this.#emit({ type: 'backend.restored', socketPath: this.#options.socketPath, protocol, at });
  }

  #emit(event: ZinitBackendEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
