/**
 * The Zinit session (issue 12): its connection state is one union, walked here through every transition against the
 * legacy double and a socket that answers garbage, with the injected clock stamping the backend events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, ZinitProtocolError } from '../../../src/errors.js';
import {
  nextPollDelayMs,
  RESYNC_BACKOFF_MAX_MS,
  type ZinitBackendEvent,
  ZinitSession,
  type ZinitSessionOptions,
} from '../../../src/process/zinit/zinit-session.js';
import { ZinitLegacyDouble } from '../../doubles/zinit-legacy-double.js';

describe('ZinitSession', () => {
  let workDir: string;
  let socketPath: string;
  let events: ZinitBackendEvent[];
  let session: ZinitSession;
  const cleanups: (() => Promise<unknown>)[] = [];
  let clockMs = 1_000;

  const open = (options: Partial<ZinitSessionOptions> = {}) => {
    session = new ZinitSession({
      socketPath,
      configDir: workDir,
      protocol: 'auto',
      clock: { now: () => clockMs },
      resyncedElsewhere: () => false,
      ...options,
    });
    session.subscribe((event) => events.push(event));
    return session;
  };

  const startDouble = async () => {
    const double = await ZinitLegacyDouble.start({ socketPath, configDir: workDir });
    cleanups.push(() => double.close());
    return double;
  };

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'zinit-session-'));
    socketPath = join(workDir, 'zinit.sock');
    events = [];
    clockMs = 1_000;
  });

  afterEach(async () => {
    await session?.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('starts detached, and is attached with the detected protocol after its first call', async () => {
    await startDouble();
    open();

    expect(session.state).toEqual({ kind: 'detached', redetect: false });
    await session.call((client) => client.list());

    expect(session.state.kind).toBe('attached');
    expect((await session.client()).protocol).toBe('legacy');
    expect(events).toEqual([]);
  });

  it('becomes unreachable when Zinit is not there, says so once, and is back with the first call that answers', async () => {
    open();

    await expect(session.call((client) => client.list())).rejects.toThrow(BackendUnavailableError);
    clockMs = 2_000;
    await expect(session.call((client) => client.list())).rejects.toThrow(BackendUnavailableError);
    expect(session.state).toMatchObject({ kind: 'unreachable', since: 1_000, client: undefined });
    expect(session.isUnreachable).toBe(true);

    await startDouble();
    clockMs = 3_000;
    await session.call((client) => client.list());

    expect(session.state.kind).toBe('attached');
    expect(session.isUnreachable).toBe(false);
    expect(events).toEqual([
      {
        type: 'backend.unavailable',
        socketPath,
        reason: `Zinit is not running at ${socketPath} (ENOENT). Is zinit running? Check the socket path, or use the embedded backend.`,
        at: 1_000,
      },
      { type: 'backend.restored', socketPath, protocol: 'legacy', at: 3_000 },
    ]);
  });

  it('keeps its client while Zinit is away, and leaves saying "back" to the poller when one resyncs', async () => {
    const double = await startDouble();
    open({ resyncedElsewhere: () => true });
    await session.call((client) => client.list());
    await double.stopListening();

    await expect(session.call((client) => client.list())).rejects.toThrow(BackendUnavailableError);
    expect(session.state).toMatchObject({ kind: 'unreachable' });
    expect((session.state as { client?: unknown }).client).toBeInstanceOf(Promise);

    await double.listen();
    await session.call((client) => client.list());
    expect(session.state.kind).toBe('unreachable');
    expect(events.map((event) => event.type)).toEqual(['backend.unavailable']);

    clockMs = 5_000;
    await session.restore();

    expect(session.state.kind).toBe('attached');
    expect(events.at(-1)).toEqual({ type: 'backend.restored', socketPath, protocol: 'legacy', at: 5_000 });
    await session.restore(); // not unreachable: nothing to restore
    expect(events).toHaveLength(2);
  });

  it('drops its client after a garbage reply and detects the protocol again on the next call', async () => {
    const server = await garbageServer(socketPath);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    open({ protocol: 'legacy' });

    await expect(session.call((client) => client.list())).rejects.toThrow(ZinitProtocolError);

    expect(session.state).toEqual({ kind: 'detached', redetect: true });
    expect(events).toEqual([]);
  });

  it('refuses every call once closed, without calling Zinit unreachable', async () => {
    await startDouble();
    open();
    await session.call((client) => client.list());

    await session.close();

    expect(session.state).toEqual({ kind: 'closed' });
    await expect(session.call((client) => client.list())).rejects.toThrow('The Zinit process manager was closed.');
    expect(events).toEqual([]);
  });
});

describe('nextPollDelayMs', () => {
  it('polls at the interval while Zinit answers, and backs off by doubling up to the cap while it does not', () => {
    expect([0, 1, 2, 3, 4, 10].map((failures) => nextPollDelayMs(250, failures))).toEqual([
      250, 500, 1_000, 2_000, 2_000, 2_000,
    ]);
    expect(RESYNC_BACKOFF_MAX_MS).toBe(2_000);
  });

  it('never backs off below a poll interval longer than the cap', () => {
    expect(nextPollDelayMs(5_000, 0)).toBe(5_000);
    expect(nextPollDelayMs(5_000, 3)).toBe(5_000);
  });
});

/** A Unix socket that answers every connection with text that is no Zinit reply, then closes. */
function garbageServer(path: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request'));
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}
