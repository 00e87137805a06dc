/**
 * The legacy reply is read until EOF (issue 13, a survivor found by hand): a legacy Zinit reply has no trailing newline
 * and ends only when the server closes, so a long reply may reach the client in several reads. Here the legacy double
 * writes each envelope in small chunks with pauses between them (cutting multi-byte UTF-8 characters too); the
 * connection, the client, protocol detection and the manager must all see the whole reply.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnknownServiceError, ZinitCommandError } from '../../../src/errors.js';
import { detectProtocol } from '../../../src/process/zinit/detect-protocol.js';
import { LegacyZinitConnection } from '../../../src/process/zinit/legacy-connection.js';
import { LegacyZinitClient } from '../../../src/process/zinit/zinit-client.js';
import { ZinitProcessManager } from '../../../src/process/zinit/zinit-process-manager.js';
import { ZinitLegacyDouble } from '../../doubles/zinit-legacy-double.js';
import { waitFor } from '../../helpers/wait-for.js';
import { fixtureCommand, uniqueServiceName } from '../process-manager.contract.js';

const CHUNKS = { bytes: 5, delayMs: 15 };

/** Every read a raw client gets for one request, as the socket delivers them. */
function rawReads(socketPath: string, request: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const reads: Buffer[] = [];
    const socket = connect(socketPath, () => socket.write(request));
    socket.on('data', (chunk) => reads.push(chunk));
    socket.on('end', () => resolve(reads));
    socket.on('error', reject);
  });
}

describe('legacy replies split into chunks with pauses between them', () => {
  let double: ZinitLegacyDouble;

  beforeEach(async () => {
    double = await ZinitLegacyDouble.start({ replyChunks: CHUNKS });
  });

  afterEach(async () => {
    await double.close();
  });

  it('the double really sends a reply in several reads (so the tests below are not vacuous)', async () => {
    const reads = await rawReads(double.socketPath, 'list\n');

    expect(reads.length).toBeGreaterThan(2);
    expect(Buffer.concat(reads).toString('utf8')).toBe('{"state":"ok","body":{}}');
  });

  it('LegacyZinitConnection returns everything the server sent until it closed', async () => {
    const connection = new LegacyZinitConnection(double.socketPath);

    expect(await connection.exchange('status ghost\n')).toBe(
      '{"state":"error","body":"service name \\"ghost\\" unknown"}',
    );
  });

  it('decodes a multi-byte character cut between two reads', async () => {
    double.replyChunks = { bytes: 1, delayMs: 5 };
    const client = new LegacyZinitClient(double.socketPath, double.configDir);

    const error = await client.status('né✓').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UnknownServiceError);
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(ZinitCommandError);
    expect((cause as Error).message).toBe('service name "né✓" unknown');
  });

  it('LegacyZinitClient reads a whole status and a whole list', async () => {
    const client = new LegacyZinitClient(double.socketPath, double.configDir);
    const names = [uniqueServiceName('a'), uniqueServiceName('b')];
    for (const name of names) {
      await client.writeConfig(name, {
        exec: fixtureCommand('sleeps-forever.js').join(' '),
        oneshot: false,
        after: [],
        env: {},
        log: 'ring',
        signal: { stop: 'sigterm' },
        shutdown_timeout: 1,
      });
      await client.monitor(name);
    }

    const status = await waitFor(
      async () => {
        const s = await client.status(names[0] ?? '');
        return s.state === 'Running' ? s : undefined;
      },
      { description: 'running' },
    );
    const listed = await client.list();

    expect(status).toMatchObject({ name: names[0], target: 'Up', after: {} });
    expect(status.pid).toBeGreaterThan(0);
    expect([...listed.keys()].sort()).toEqual([...names].sort());
  });

  it('protocol detection still recognises a legacy Zinit', async () => {
    expect(await detectProtocol(double.socketPath)).toBe('legacy');
  });

  it('ZinitProcessManager declares, starts and reads a service over chunked replies', async () => {
    const manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir: double.configDir });
    try {
      const name = uniqueServiceName();
      await manager.ensureService({ name, command: fixtureCommand('sleeps-forever.js') });
      await manager.start(name);

      const status = await waitFor(
        async () => {
          const s = await manager.status(name);
          return s.state === 'running' ? s : undefined;
        },
        { description: `${name} running` },
      );

      expect(await manager.protocol()).toBe('legacy');
      expect(status).toMatchObject({ name, state: 'running', target: 'up' });
      await manager.stop(name);
    } finally {
      await manager.close();
    }
  });
});
