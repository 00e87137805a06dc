/**
 * The JSON-RPC side (NOTES §3): the double's framing and error codes as the notes describe v0.2.28, and the client's
 * single pipelined connection with responses matched by id even when they come back out of order.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnknownServiceError, ZinitCommandError } from '../../../src/errors.js';
import { JsonRpcZinitConnection } from '../../../src/process/zinit/jsonrpc-connection.js';
import { toZinitServiceConfig } from '../../../src/process/zinit/service-yaml.js';
import { JsonRpcZinitClient } from '../../../src/process/zinit/zinit-client.js';
import { BraceFramer, ZinitJsonRpcDouble } from '../../doubles/zinit-jsonrpc-double.js';
import { waitFor } from '../../helpers/wait-for.js';
import { fixtureCommand, uniqueServiceName } from '../process-manager.contract.js';

/** A raw connection that collects every line the server sends. */
function rawConnection(socketPath: string): Promise<{ socket: Socket; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let pending = '';
    const socket = connect(socketPath);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts);
    });
    socket.once('connect', () => resolve({ socket, lines }));
    socket.once('error', reject);
  });
}

describe('BraceFramer (the double splits input as reth-ipc does)', () => {
  it('splits objects by brace counting, with or without newlines, across chunks, ignoring braces in strings', () => {
    const framer = new BraceFramer();

    const first = framer.push('{"a":"}{"}{"b":[1,{"c":2}]');
    const second = framer.push('}\n[{"d":1}]');

    expect(first).toEqual(['{"a":"}{"}']);
    expect(second).toEqual(['{"b":[1,{"c":2}]}', '[{"d":1}]']);
  });
});

describe('ZinitJsonRpcDouble wire behaviour', () => {
  let double: ZinitJsonRpcDouble;
  let sockets: Socket[];

  beforeEach(async () => {
    double = await ZinitJsonRpcDouble.start();
    sockets = [];
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await double.close();
  });

  async function open() {
    const connection = await rawConnection(double.socketPath);
    sockets.push(connection.socket);
    return connection;
  }

  it('answers raw text with the -32700 parse error and id null', async () => {
    const { socket, lines } = await open();

    socket.write('list\n');

    await waitFor(() => lines.length === 1, { description: 'one reply' });
    expect(lines[0]).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
  });

  it('answers two requests sent in one write without newlines, a batch as an array, and a notification not at all', async () => {
    const { socket, lines } = await open();

    socket.write('{"jsonrpc":"2.0","method":"service_list","id":1}{"jsonrpc":"2.0","method":"service_list","id":2}');
    socket.write('{"jsonrpc":"2.0","method":"service_list"}\n');
    socket.write('[{"jsonrpc":"2.0","method":"service_list","id":3},{"jsonrpc":"2.0","method":"nope","id":4}]\n');

    await waitFor(() => lines.length >= 3, { description: 'three replies' });
    expect(lines.slice(0, 2).sort()).toEqual([
      '{"jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":2,"result":{}}',
    ]);
    expect(JSON.parse(lines[2] as string)).toEqual([
      { jsonrpc: '2.0', id: 3, result: {} },
      { jsonrpc: '2.0', id: 4, error: { code: -32601, message: 'Method not found' } },
    ]);
    expect(lines).toHaveLength(3);
  });

  it('sends v0.2.28 errors: code, "<action>: <detail>" and data', async () => {
    const { socket, lines } = await open();

    socket.write('{"jsonrpc":"2.0","method":"service_status","params":{"name":"ghost"},"id":7}\n');
    socket.write('{"jsonrpc":"2.0","method":"service_monitor","params":["a.b"],"id":8}\n');

    await waitFor(() => lines.length === 2, { description: 'two replies' });
    const replies = lines.map((line) => JSON.parse(line)).sort((a, b) => a.id - b.id);
    expect(replies[0].error).toEqual({
      code: -32000,
      message: "getting status: service 'ghost' not found",
      data: {
        code_name: 'ServiceNotFound',
        service: 'ghost',
        action: 'getting status',
        retryable: false,
        cause_chain: null,
        hint: null,
      },
    });
    expect(replies[1].error).toMatchObject({ code: -32602, message: "monitoring service: invalid service name 'a.b'" });
  });
});

describe('JsonRpcZinitConnection / JsonRpcZinitClient', () => {
  let double: ZinitJsonRpcDouble;
  let workDir: string;
  let client: JsonRpcZinitClient;

  beforeEach(async () => {
    double = await ZinitJsonRpcDouble.start();
    workDir = mkdtempSync(join(tmpdir(), 'zinit-jsonrpc-'));
    client = new JsonRpcZinitClient(double.socketPath);
  });

  afterEach(async () => {
    client.close();
    await double.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function createRunning(command: string[]): Promise<string> {
    const name = uniqueServiceName();
    await client.writeConfig(name, toZinitServiceConfig({ name, command }));
    await client.monitor(name);
    await waitFor(async () => (await client.status(name)).state === 'Running', { description: `${name} running` });
    return name;
  }

  it('pipelines calls on ONE connection and matches out-of-order responses by id', async () => {
    const ready = join(workDir, 'ready');
    const name = await createRunning(fixtureCommand('ignores-sigterm.js', ready));
    await waitFor(() => readFileSync(ready, 'utf8'), { description: 'handler installed' });
    const connection = new JsonRpcZinitConnection(double.socketPath);
    const before = double.connections;
    const order: string[] = [];

    // service_stop waits ~0.5 s and then SIGKILLs; the list sent after it is answered first.
    const stop = connection.call('service_stop', [name]).then(() => order.push('stop'));
    const list = connection.call('service_list').then((result) => {
      order.push('list');
      return result;
    });
    const [, listed] = await Promise.all([stop, list]);
    connection.close();

    expect(order).toEqual(['list', 'stop']);
    expect(listed).toHaveProperty(name);
    expect(double.connections - before).toBe(1);
  });

  it('maps error codes, not message text: forget of a running service is kind is-up (-32002)', async () => {
    const name = await createRunning(fixtureCommand('sleeps-forever.js'));

    const error = await client.forget(name).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ZinitCommandError);
    expect(error).toMatchObject({ kind: 'is-up', zinitCode: -32002 });
  });

  it('turns an unknown service into UnknownServiceError', async () => {
    await expect(client.status('ghost')).rejects.toBeInstanceOf(UnknownServiceError);
    await expect(client.kill('ghost', 'SIGTERM')).rejects.toBeInstanceOf(UnknownServiceError);
  });

  it('writes configs with service_create and replaces them (service_delete + service_create)', async () => {
    const name = uniqueServiceName();
    const first = toZinitServiceConfig({ name, command: ['/bin/sleep', '1'] });
    const second = toZinitServiceConfig({ name, command: ['/bin/sleep', '2'] });

    await client.writeConfig(name, first);
    const matchesFirst = await client.configMatches(name, first);
    await client.writeConfig(name, second);

    expect(matchesFirst).toBe(true);
    expect(await client.configMatches(name, first)).toBe(false);
    expect(await client.configMatches(name, second)).toBe(true);
    expect(readFileSync(join(double.configDir, `${name}.yaml`), 'utf8')).toContain('/bin/sleep 2');
  });
});
